// The resumable step runner and the state it records. The fixtures are the Secrets the rotation wrote before the
// runner existed (captured after each step of a CA rotation and of an access key rotation, and after a key creation
// that died at CreateAccessKey): clusters in the middle of a rotation hold exactly these, so they must decode, name
// the same next step, and be written back byte for byte.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/model/objects.js';
import { objectStorageSchema } from '../../src/config/tls-objstore-schema.js';
import { liveSecretOf, secretObject } from '../../src/rotation/secrets.js';
import {
  describeResume,
  IDLE,
  pendingSteps,
  runSteps,
  stepsInOrder,
  type StepMachine,
} from '../../src/rotation/steps.js';
import {
  CA_RECORDED_AFTER,
  CA_STEPS,
  STATE_ANNOTATION,
  caRecordOf,
  caSecretContent,
} from '../../src/rotation/pki/index.js';
import {
  KEY_RECORDED_AFTER,
  KEY_STATE_ANNOTATION,
  KEY_STEPS,
  keyRecordOf,
  objstoreSecretContent,
} from '../../src/rotation/objstore/index.js';

const fixtures = JSON.parse(
  readFileSync(new URL('./fixtures/rotation-recorded-state.json', import.meta.url), 'utf8'),
) as {
  ca: Record<string, KubeObject>;
  objstore: Record<string, KubeObject>;
};

/** A machine with the given names and recorded states whose steps only log that they ran. */
function machineOf<Name extends string>(states: Record<Name, string>, annotation: string, ran: string[] = []) {
  const committed: [string, string][] = [];
  const runs = Object.fromEntries(
    Object.keys(states).map((name) => [
      name,
      async (record: string) => {
        ran.push(name);
        return `${record}+${name}`;
      },
    ]),
  ) as Record<Name, (record: string) => Promise<string>>;
  const machine: StepMachine<string> = {
    what: 'test rotation',
    secretRef: 'ns/state',
    annotation,
    steps: stepsInOrder(states, runs),
    commit: async (record, state) => {
      committed.push([record, state]);
      return record;
    },
  };
  return { machine, committed };
}

describe('rotation state recorded by the previous code', () => {
  it('every CA state decodes, resumes at the next step and is written back unchanged', () => {
    const { machine } = machineOf(CA_RECORDED_AFTER, STATE_ANNOTATION);
    for (const [index, step] of CA_STEPS.entries()) {
      const written = fixtures.ca[step]!;
      const record = caRecordOf(liveSecretOf(written))!;
      expect(record.state, step).toBe(written.metadata.annotations![STATE_ANNOTATION]);
      expect(record.state, step).toBe(CA_RECORDED_AFTER[step]);
      expect(record.previous !== undefined, step).toBe(index < CA_STEPS.indexOf('ca:drop-old'));
      expect(
        pendingSteps(machine, record.state).map((s) => s.name),
        step,
      ).toEqual(record.state === IDLE ? [] : CA_STEPS.slice(index + 1));
      const rewritten = secretObject(
        caSecretContent(written.metadata.namespace!, written.metadata.name, record, record.state),
      );
      expect(JSON.stringify(rewritten), step).toBe(JSON.stringify(written));
    }
  });

  it('every access key state decodes, resumes at the next step and is written back unchanged', () => {
    const store = {
      ...objectStorageSchema.parse({
        type: 'S3',
        bucket: 'metrics',
        endpoint: 's3.eu-west-1.amazonaws.com',
        region: 'eu-west-1',
        mode: 'accessKeys',
        iamUserName: 'thanos',
      }),
      secretName: 'thanos-objectstorage',
      key: 'thanos.yaml',
    };
    const { machine } = machineOf(KEY_RECORDED_AFTER, KEY_STATE_ANNOTATION);
    for (const [index, step] of KEY_STEPS.entries()) {
      const written = fixtures.objstore[step]!;
      const record = keyRecordOf(liveSecretOf(written), store.key);
      expect(record.state, step).toBe(KEY_RECORDED_AFTER[step]);
      expect(record.credentials?.accessKeyId, step).toBe(
        written.metadata.annotations!['rotation.thanos-gitops.io/access-key-id'],
      );
      expect(
        pendingSteps(machine, record.state).map((s) => s.name),
        step,
      ).toEqual(record.state === IDLE ? [] : KEY_STEPS.slice(index + 1));
      const rewritten = secretObject(
        objstoreSecretContent(written.metadata.namespace!, store, record.credentials, record.annotations),
      );
      expect(JSON.stringify(rewritten), step).toBe(JSON.stringify(written));
    }
    // A creation that died at CreateAccessKey: idle, with the marker that lets the next run clean up after it.
    const creating = keyRecordOf(liveSecretOf(fixtures.objstore['keys:creating']!), store.key);
    expect(creating.state).toBe(IDLE);
    expect(creating.annotations['rotation.thanos-gitops.io/key-creating-since']).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});

describe('runSteps', () => {
  it('records each step before the next runs and reports it after recording', async () => {
    const ran: string[] = [];
    const { machine, committed } = machineOf({ a: 'a-done', b: 'b-done', c: IDLE }, 'test/state', ran);
    const after: string[] = [];
    const result = await runSteps(machine, pendingSteps(machine, 'a-done'), 'start', {
      afterStep: (step) => void after.push(`${step}@${committed.length}`),
    });
    expect(ran).toEqual(['b', 'c']);
    expect(committed).toEqual([
      ['start+b', 'b-done'],
      ['start+b+c', IDLE],
    ]);
    expect(after).toEqual(['b@1', 'c@2']);
    expect(result).toBe('start+b+c');
  });

  it('reports a step as done only once its state is recorded (a crash at that line resumes after the step)', async () => {
    const events: string[] = [];
    const machine: StepMachine<number> = {
      what: 'test rotation',
      secretRef: 'ns/state',
      annotation: 'test/state',
      steps: stepsInOrder<'a' | 'b', number>(
        { a: 'a-done', b: IDLE },
        {
          a: {
            run: async (n) => {
              events.push('run a');
              return n + 1;
            },
            recorded: (n) => void events.push(`a done at ${n}`),
          },
          b: async (n) => {
            events.push('run b');
            return n + 1;
          },
        },
      ),
      commit: async (n, state) => {
        events.push(`record ${state}`);
        return n;
      },
    };
    await runSteps(machine, machine.steps, 0, { afterStep: (step) => void events.push(`after ${step}`) });
    expect(events).toEqual(['run a', 'record a-done', 'a done at 1', 'after a', 'run b', `record ${IDLE}`, 'after b']);
  });

  it('stops at a failing step without recording it, so the next run repeats it', async () => {
    const { machine, committed } = machineOf({ a: 'a-done', b: IDLE }, 'test/state');
    await expect(
      runSteps(machine, machine.steps, 'start', {
        afterStep: (step) => {
          if (step === 'a') throw new Error('crash after a');
        },
      }),
    ).rejects.toThrow('crash after a');
    expect(committed).toEqual([['start+a', 'a-done']]);
    expect(pendingSteps(machine, 'a-done').map((s) => s.name)).toEqual(['b']);
  });

  it('names an unknown recorded state and the states it accepts', () => {
    const { machine } = machineOf(CA_RECORDED_AFTER, STATE_ANNOTATION);
    expect(() => pendingSteps(machine, 'half-done')).toThrow(
      `Secret ns/state has unknown ${STATE_ANNOTATION} 'half-done': set it to one of generated, bundle-published, trust-rolled, leaves-reissued, leaves-in-use, old-dropped, idle`,
    );
    expect(describeResume(machine, 'leaves-in-use')).toBe(
      `would resume the test rotation after 'leaves-in-use': ca:drop-old, ca:roll-final`,
    );
  });
});
