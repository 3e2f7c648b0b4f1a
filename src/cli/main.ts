import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError, type Io } from './command.js';
import { commands } from './commands/index.js';
import { TOOL_VERSION } from '../model/version.js';

const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  progress: process.stderr.isTTY ? 'tty' : 'json',
  ...(process.stderr.columns ? { columns: process.stderr.columns } : {}),
};

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length), 8);
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: thanos-gitops <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'thanos-gitops <command> --help' for a command's options, 'thanos-gitops --version' for the version.\n`;
}

/** Runs the CLI and returns the exit code; never calls process.exit, so tests can call it in-process. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    io.stdout(`thanos-gitops ${TOOL_VERSION}\n`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(overview());
    return name === undefined ? 2 : 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    io.stderr(`error: unknown command '${name}'\n\n${overview()}`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`error: ${error.message}\nRun 'thanos-gitops ${command.name} --help' for usage.\n`);
      return 2;
    }
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    // The message is the product; the stack is for us, on request.
    if (process.env.THANOS_GITOPS_DEBUG === '1' && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
    return 1;
  }
}

function isEntryPoint(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  process.exitCode = await main(process.argv.slice(2));
}
