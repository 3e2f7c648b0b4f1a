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
  // runProcess, not main: it routes SIGINT/SIGTERM to the commands that stop cleanly (release the Lease).
  const { runProcess } = await import('./main.js');
  await runProcess();
}
