#!/usr/bin/env -S node --no-node-snapshot
// The prov command. Kept free of imports until the Node version is known to be
// new enough, so an old Node prints one line instead of a loader stack trace.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `prov needs Node.js 24 or newer, but this is Node.js ${process.version}: ` +
      `run it as "npx prov" inside a project that has the "node@^24" devDependency, or put Node.js 24 on PATH.\n`,
  );
  process.exit(2);
}

// isolated-vm requires --no-node-snapshot on Node >= 20. The shebang passes it;
// when started some other way (`node bin/prov.mjs`), start again with the flag.
if (!process.execArgv.includes('--no-node-snapshot')) {
  const { spawnSync } = await import('node:child_process');
  const child = spawnSync(
    process.execPath,
    ['--no-node-snapshot', ...process.execArgv, process.argv[1], ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  process.exit(child.status ?? 1);
}

const { main } = await import('../dist/runtime/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
