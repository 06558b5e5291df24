export { ARTIFACTS_DIR, ensureArtifacts } from './artifact-cache.ts';
export { RELEASES, type Project, type ReleaseArtifact } from './release-catalog.ts';
export { startReleaseMirror, type ReleaseMirror, type ReleaseMirrorOptions } from './mirror-server.ts';
