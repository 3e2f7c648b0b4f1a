// The CLI's executable (dist/cli/index.js): a few lines that any Node can parse, so an old Node prints one clear line
// instead of choking on the bundle. Keep it free of imports and of syntax newer than ES2020.
const MINIMUM = [22, 15] as const;

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < MINIMUM[0] || (major === MINIMUM[0] && minor < MINIMUM[1])) {
  process.stderr.write(
    `thanos-gitops requires Node >= ${MINIMUM.join('.')}; this is Node ${process.versions.node} (${process.execPath}). Install Node 22.15 or later (or 24), or run it with 'npx thanos-gitops' in a checkout after 'npm ci'.\n`,
  );
  process.exitCode = 1;
} else {
  enableCompileCache();
  // runProcess, not main: it routes SIGINT/SIGTERM to the commands that stop cleanly (release the Lease).
  const { runProcess } = await import('./main.js');
  await runProcess();
}

/**
 * Lets V8 keep the bundle's compiled code between runs (a sixth of the start-up of a command that talks to a cluster),
 * in the user's cache directory, created private: a shared temporary directory would let another user plant code.
 * Each directory is made on its own: Node's recursive mkdir never returns on some paths (under /proc). Any failure
 * leaves the cache off; NODE_DISABLE_COMPILE_CACHE=1 turns it off too.
 */
function enableCompileCache(): void {
  const builtin = process.getBuiltinModule;
  const { join } = builtin('node:path');
  const { mkdirSync } = builtin('node:fs');
  try {
    const home = builtin('node:os').homedir();
    const base = process.env.XDG_CACHE_HOME || (home ? join(home, '.cache') : '');
    if (!base) return;
    let dir = '';
    for (const part of [base, 'thanos-gitops', 'node-compile-cache']) {
      dir = dir ? join(dir, part) : part;
      try {
        mkdirSync(dir, { mode: 0o700 });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return;
      }
    }
    builtin('node:module').enableCompileCache(dir);
  } catch {
    // No cache: the CLI runs the same, only its start-up is slower.
  }
}
