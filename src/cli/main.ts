import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InterruptedError } from '../kube/interrupt.js';
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

/** The conventional exit code of a process stopped by a signal: 128 + its number (SIGINT 130, SIGTERM 143). */
const SIGNAL_EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Runs the CLI and returns the exit code; never calls process.exit, so tests can call it in-process.
 * `onInterruptible` is called when the command can stop cleanly on io.signal (the process entry point then routes
 * SIGINT/SIGTERM to the signal instead of dying at once).
 */
export async function main(argv: string[], io: Io = processIo, onInterruptible?: () => void): Promise<number> {
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
  if (command.interruptible) onInterruptible?.();
  const stoppedBy = () =>
    io.signal?.aborted && typeof io.signal.reason === 'string' ? SIGNAL_EXIT_CODES[io.signal.reason] : undefined;
  try {
    const code = await command.run(rest, io);
    // The work finished before the stop request took effect; the caller still asked the process to stop.
    return stoppedBy() ?? code;
  } catch (error) {
    const signalled = stoppedBy();
    if (signalled !== undefined && error instanceof InterruptedError) {
      io.stderr(`error: ${error.message}\n`);
      return signalled;
    }
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

/**
 * SIGINT/SIGTERM while an interruptible command runs: abort its signal, so it stops at the next request, records what
 * it must and releases the Lease. A second signal, or clean-up that hangs, ends the process at once.
 */
export async function runProcess(): Promise<void> {
  const controller = new AbortController();
  let interruptible = false;
  const onSignal = (signal: NodeJS.Signals) => {
    const code = SIGNAL_EXIT_CODES[signal] ?? 1;
    if (!interruptible || controller.signal.aborted) {
      // A command that installed its own handler (render --out removes its staging directory) owns the signal.
      if (!interruptible && process.listenerCount(signal) > 1) return;
      process.exit(code);
    }
    process.stderr.write(
      `thanos-gitops: ${signal} received: stopping at the next safe point and releasing the lock (send it again to exit at once)\n`,
    );
    controller.abort(signal);
    setTimeout(() => {
      process.stderr.write(`thanos-gitops: clean-up after ${signal} did not finish within 20s; exiting\n`);
      process.exit(code);
    }, 20_000).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.exitCode = await main(process.argv.slice(2), { ...processIo, signal: controller.signal }, () => {
    interruptible = true;
  });
}

if (isEntryPoint()) {
  await runProcess();
}
