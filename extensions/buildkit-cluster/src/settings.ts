import type { SiteSettings } from './components.js';

/**
 * This site's choices. `prov cluster create` takes no input: a cluster is
 * data its code declares, so a site that needs other values (another
 * registry port, a release mirror inside its network) edits this file —
 * or keeps a copy of the cluster with its own — and registers that.
 *
 * Empty: the registry on 127.0.0.1:5000, releases from GitHub.
 */
export const SETTINGS: SiteSettings = {};
