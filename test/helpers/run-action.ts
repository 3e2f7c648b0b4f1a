// Runs a bundled Action the way the GitHub runner does: `node <bundle>` with the event payload in a file, fresh
// GITHUB_OUTPUT/GITHUB_STEP_SUMMARY files and RUNNER_TEMP, then reads the outputs and step summary back.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

/** GITHUB_OUTPUT's heredoc format: `name<<delimiter\nvalue\ndelimiter`. */
export function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<]+)<<(.+)$/.exec(lines[i]!);
    if (!match) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== match[2]; i++) value.push(lines[i]!);
    outputs[match[1]!] = value.join('\n');
  }
  return outputs;
}

export interface ActionInvocation {
  /** The bundled entry point (`dist/action/index.js`). */
  bundle: string;
  /** The working directory (the checkout, GITHUB_WORKSPACE). */
  cwd: string;
  /** mkdtemp prefix of the run's directory, which holds event.json, output, summary and tmp/ and is HOME. */
  runDirPrefix: string;
  /** The event payload written to GITHUB_EVENT_PATH. */
  event: unknown;
  /** The rest of the environment (GITHUB_*, INPUT_*, ...), set after the runner's files. */
  env: Record<string, string>;
}

/**
 * Runs the bundle once. The environment is PATH, HOME (the run directory), CI, GITHUB_ACTIONS, GITHUB_EVENT_PATH,
 * GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and RUNNER_TEMP, then `env`.
 */
export async function runActionBundle(invocation: ActionInvocation): Promise<ActionRun> {
  const run = mkdtempSync(invocation.runDirPrefix);
  const eventPath = join(run, 'event.json');
  writeFileSync(eventPath, JSON.stringify(invocation.event));
  writeFileSync(join(run, 'output'), '');
  writeFileSync(join(run, 'summary'), '');
  mkdirSync(join(run, 'tmp'));
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: run,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_OUTPUT: join(run, 'output'),
    GITHUB_STEP_SUMMARY: join(run, 'summary'),
    RUNNER_TEMP: join(run, 'tmp'),
    ...invocation.env,
  };
  const child = spawn(process.execPath, [invocation.bundle], { cwd: invocation.cwd, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    code,
    stdout,
    stderr,
    outputs: parseOutputs(readFileSync(join(run, 'output'), 'utf8')),
    summary: readFileSync(join(run, 'summary'), 'utf8'),
  };
}
