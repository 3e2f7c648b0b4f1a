/**
 * The one resumable step machine of rotation. A machine's state is recorded on the cluster, in an annotation of the
 * Secret the machine owns (the CA Secret, the objstore Secret), and each step's state is written in the same write as
 * the step's own effects on that Secret. Every step is idempotent, so a run that dies anywhere (a crash, SIGTERM, the
 * Lambda's deadline aborting the client) resumes at the step it was in. Time limits live in the steps themselves
 * (rollout waits, the certificate propagation wait), and every wait goes through the client, which the abort stops.
 *
 * The recorded state names the last finished step; the last step of every machine records IDLE. The values are part of
 * what clusters store: a machine's `recordedAs` strings must never change, or a rotation in flight cannot resume.
 */

/** The recorded state of a machine that is not rotating. */
export const IDLE = 'idle';

export interface Step<Record> {
  /** Stable name, reported to `afterStep` and in dry runs, e.g. `ca:generate`. */
  name: string;
  /** The state recorded once this step is done; the next run starts with the step after it. */
  recordedAs: string;
  /** Does the step's work and returns the record to store with its state (one write). */
  run(record: Record): Promise<Record>;
  /**
   * Reports the step as done, once its state is recorded: a line saying so is a promise that a crash from then on
   * resumes after this step (the crash tests kill the process at such lines).
   */
  recorded?(record: Record): void;
}

export interface StepMachine<Record> {
  /** What the machine rotates, for messages: `CA rotation`, `access key rotation`. */
  what: string;
  /** The Secret that holds the state, for messages: `namespace/name`. */
  secretRef: string;
  /** The annotation on that Secret that holds the state. */
  annotation: string;
  steps: readonly Step<Record>[];
  /** Writes the record with the state set to `state` in one write; returns the record as the next step sees it. */
  commit(record: Record, state: string): Promise<Record>;
}

export interface RunStepsOptions {
  /** Called after each step has recorded its state; a throw here is how tests inject crashes. */
  afterStep?: (step: string) => void | Promise<void>;
}

/** The steps a recorded state leaves to run: those after the step the state names (none when idle: the last step's). */
export function pendingSteps<R>(machine: StepMachine<R>, state: string): readonly Step<R>[] {
  const index = machine.steps.findIndex((step) => step.recordedAs === state);
  if (index < 0) {
    throw new Error(
      `Secret ${machine.secretRef} has unknown ${machine.annotation} '${state}': set it to one of ${machine.steps.map((step) => step.recordedAs).join(', ')}`,
    );
  }
  return machine.steps.slice(index + 1);
}

/** The dry-run line of a machine that would resume from a recorded state. */
export function describeResume<R>(machine: StepMachine<R>, state: string): string {
  return `would resume the ${machine.what} after '${state}': ${pendingSteps(machine, state)
    .map((step) => step.name)
    .join(', ')}`;
}

/** Runs the given steps in order, recording each one's state before the next starts. */
export async function runSteps<R>(
  machine: StepMachine<R>,
  steps: readonly Step<R>[],
  start: R,
  options: RunStepsOptions = {},
): Promise<R> {
  let record = start;
  for (const step of steps) {
    record = await machine.commit(await step.run(record), step.recordedAs);
    step.recorded?.(record);
    await options.afterStep?.(step.name);
  }
  return record;
}

/** A machine's steps in the order of `states` (the state each step records): every step needs a run. */
export function stepsInOrder<Name extends string, R>(
  states: Readonly<Record<Name, string>>,
  runs: Readonly<Record<Name, Step<R>['run'] | Pick<Step<R>, 'run' | 'recorded'>>>,
): Step<R>[] {
  return (Object.keys(states) as Name[]).map((name): Step<R> => {
    const step: Step<R>['run'] | Pick<Step<R>, 'run' | 'recorded'> = runs[name];
    return { name, recordedAs: states[name], ...(typeof step === 'function' ? { run: step } : step) };
  });
}
