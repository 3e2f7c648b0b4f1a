// Every risk rule and stack check against real kube-thanos output: the stack configs below are rendered by the
// renderer that reproduces kube-thanos byte for byte (test/unit/render-golden.test.ts), then changed the way a
// pull request would change them. Ring sizes and replication factors run over the numbers that matter.
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseStackConfig } from '../../src/config/index.js';
import type { Risk } from '../../src/diff/index.js';
import type { ManifestSet } from '../../src/model/objects.js';
import { renderStack } from '../../src/render/index.js';
import { analyzeManifestSets, RISK_RULES, validateStack, writeQuorum } from '../../src/thanos/index.js';

type Config = Record<string, any>;

interface StackOptions {
  rf?: number;
  routerRf?: number;
  ingestors?: number;
  /** Router endpoints for the default hashring; default: one per ingestor (kube-thanos wiring). */
  ring?: number;
  fileAlgorithm?: 'ketama' | 'hashmod';
  flag?: 'ketama' | 'hashmod';
  queryLabels?: string[];
}

const INGESTOR = 'thanos-receive-ingestor-default';
const endpoint = (i: number) => `${INGESTOR}-${i}.${INGESTOR}.thanos:10901`;

function stackConfig(options: StackOptions = {}): Config {
  const rf = options.rf ?? 2;
  const ingestors = options.ingestors ?? rf + 1;
  return {
    apiVersion: 'thanos-gitops/v1alpha1',
    kind: 'ThanosStack',
    common: {
      namespace: 'thanos',
      version: 'v0.42.4',
      image: 'quay.io/thanos/thanos:v0.42.4',
      objectStorageConfig: { name: 'thanos-objectstorage', key: 'thanos.yaml' },
      hashringConfigMapName: 'hashring-config',
      volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } } },
    },
    receiveIngestor: {
      replicas: ingestors,
      replicationFactor: rf,
      hashrings: [
        { hashring: 'default', tenants: [], ...(options.fileAlgorithm ? { algorithm: options.fileAlgorithm } : {}) },
      ],
      ...(options.flag ? { hashringsAlgorithm: options.flag } : {}),
      resources: { requests: { cpu: '1', memory: '4Gi' } },
    },
    receiveRouter: {
      routerReplicas: 2,
      replicationFactor: options.routerRf ?? rf,
      objectStorageConfig: null,
      ...(options.flag ? { hashringsAlgorithm: options.flag } : {}),
      ...(options.ring !== undefined
        ? { endpoints: { default: Array.from({ length: options.ring }, (_, i) => endpoint(i)) } }
        : {}),
    },
    store: { replicas: 1 },
    compact: { replicas: 1, retentionResolutionRaw: '30d', retentionResolution5m: '90d', retentionResolution1h: '1y' },
    query: { replicas: 2, replicaLabels: options.queryLabels ?? ['replica', 'prometheus_replica'] },
    objectStorage: { type: 'S3', bucket: 'metrics', endpoint: 's3.eu-west-1.amazonaws.com', region: 'eu-west-1' },
  };
}

function render(config: Config): ManifestSet {
  return renderStack(parseStackConfig(stringify(config), 'thanos-stack.yaml'));
}

function risks(base: Config, head: Config): Risk[] {
  return analyzeManifestSets(render(base), render(head)).risks;
}

const only = (list: Risk[], id: string) => list.filter((risk) => risk.id === id);
const issues = (config: Config, id: string) => validateStack(render(config)).filter((issue) => issue.id === id);
const edit = (config: Config, change: (copy: Config) => void): Config => {
  const copy = structuredClone(config);
  change(copy);
  return copy;
};

describe('the rule registry', () => {
  it('gives every rule an id, a severity, a version range and a source link at a Thanos tag or the Kubernetes docs', () => {
    const ids = RISK_RULES.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of RISK_RULES) {
      expect(['high', 'medium', 'low']).toContain(rule.severity);
      expect(rule.versions.from).toMatch(/^v\d+\.\d+\.\d+$/);
      expect(rule.source.url, rule.id).toMatch(
        /^https:\/\/(github\.com\/thanos-io\/thanos\/blob\/v0\.42\.4\/|kubernetes\.io\/docs\/)/,
      );
      expect(rule.source.label, rule.id).toMatch(/^(Thanos v0\.42\.4, |Kubernetes docs, )/);
    }
  });

  it('puts a source on every risk it raises', () => {
    const found = risks(stackConfig({ rf: 3 }), stackConfig({ rf: 3, ingestors: 2, ring: 3 }));
    expect(found.length).toBeGreaterThan(0);
    for (const risk of found) expect(risk.source?.url, risk.id).toMatch(/^https:\/\//);
  });
});

describe('no change, no risk', () => {
  const full = (rf: number) =>
    edit(stackConfig({ rf, fileAlgorithm: 'ketama', flag: 'ketama' }), (c) => {
      c.rule = {
        replicas: 2,
        queriers: ['dnssrv+_http._tcp.thanos-query.thanos'],
        alertmanagersURLs: ['alertmanager:9093'],
      };
      c.query.replicaLabels = ['replica', 'rule_replica'];
      c.queryFrontend = { replicas: 1, downstreamURL: 'http://thanos-query.thanos:9090' };
      c.compact.deduplicationReplicaLabels = ['replica'];
      c.storeShards = { shards: 2, replicas: 1 };
    });
  it.each([1, 2, 3])('every rule is quiet when nothing changes (RF %i), and the stack validates', (rf) => {
    expect(risks(full(rf), full(rf))).toEqual([]);
    expect(validateStack(render(full(rf)))).toEqual([]);
  });

  it("a stack older than a rule's range still gets the risk, saying which releases it was checked for", () => {
    const old = (ring: number) =>
      edit(stackConfig({ rf: 2, ring, fileAlgorithm: 'ketama' }), (c) => {
        c.common.image = 'quay.io/thanos/thanos:v0.31.0';
      });
    const found = only(risks(old(3), old(1)), 'hashring-too-small');
    expect(found[0]!.message).toMatch(/\(checked for Thanos v0\.32\.0 and later; this stack runs v0\.31\.0\)$/);
  });
});

describe('hashring-too-small: ring endpoints below the replication factor', () => {
  for (const rf of [1, 2, 3]) {
    for (const [label, size] of [
      ['RF-1', rf - 1],
      ['RF', rf],
      ['RF+1', rf + 1],
    ] as const) {
      for (const algorithm of ['ketama', 'hashmod'] as const) {
        it(`RF ${rf}, ring of ${label} (${size}) under ${algorithm}: ${size < rf ? 'flagged and invalid' : 'quiet and valid'}`, () => {
          const base = stackConfig({ rf, ingestors: rf + 1, fileAlgorithm: algorithm, flag: algorithm });
          const head = stackConfig({ rf, ingestors: rf + 1, ring: size, fileAlgorithm: algorithm, flag: algorithm });
          const flagged = only(risks(base, head), 'hashring-too-small');
          const invalid = issues(head, 'hashring-too-small');
          if (size >= rf) {
            expect(flagged).toEqual([]);
            expect(invalid).toEqual([]);
            return;
          }
          expect(flagged).toHaveLength(1);
          expect(flagged[0]).toMatchObject({ severity: 'high', object: 'ConfigMap thanos/hashring-config' });
          expect(flagged[0]!.message).toContain(`has ${size} endpoint`);
          expect(flagged[0]!.message).toContain(`replication factor ${rf}`);
          expect(flagged[0]!.message).toContain('total write outage');
          expect(flagged[0]!.message).toContain(
            algorithm === 'ketama' ? 'every receiver reading it exits' : `insufficient nodes; have ${size}, want ${rf}`,
          );
          expect(flagged[0]!.source!.label).toBe(
            algorithm === 'ketama'
              ? 'Thanos v0.42.4, pkg/receive/hashring.go (lines 149-154)'
              : 'Thanos v0.42.4, pkg/receive/hashring.go (lines 117-124)',
          );
          expect(invalid).toHaveLength(1);
          expect(invalid[0]).toMatchObject({ severity: 'error', file: 'thanos-receive-router-configmap.yaml' });
          expect(invalid[0]!.fix).toContain(`at least ${rf} endpoints`);
        });
      }
    }
  }
});

describe('ingestor-scale-down: pods flush and upload; the ring decides whether writes fail', () => {
  for (const rf of [1, 2, 3]) {
    it(`RF ${rf}: scaling ${rf + 1} -> ${rf} with the ring shrinking too is medium and never says data is lost`, () => {
      const found = only(
        risks(stackConfig({ rf, ingestors: rf + 1 }), stackConfig({ rf, ingestors: rf })),
        'ingestor-scale-down',
      );
      expect(found).toHaveLength(1);
      expect(found[0]!.severity).toBe('medium');
      expect(found[0]!.message).toContain(`from ${rf + 1} to ${rf} (RF ${rf}, write quorum ${writeQuorum(rf)})`);
      expect(found[0]!.message).toContain(`${INGESTOR}-${rf}`);
      expect(found[0]!.message).toContain(
        'flush their head and upload the last block on SIGTERM within the 900 s grace period',
      );
      expect(found[0]!.message).not.toMatch(/lost|with replication factor 1/);
      expect(found[0]!.source!.label).toBe('Thanos v0.42.4, cmd/thanos/receive.go (lines 722-737)');
    });

    it(`RF ${rf}: scaling down while the ring still lists the departed pod is ${rf === 1 ? 'high' : 'medium'}`, () => {
      const found = only(
        risks(stackConfig({ rf, ingestors: rf + 1 }), stackConfig({ rf, ingestors: rf, ring: rf + 1 })),
        'ingestor-scale-down',
      );
      expect(found).toHaveLength(1);
      expect(found[0]!.severity).toBe(rf === 1 ? 'high' : 'medium');
      expect(found[0]!.message).toContain('still lists departed pods (1 in `default`)');
      expect(found[0]!.message).toContain(`needs ${writeQuorum(rf)} of ${rf} copies`);
      expect(found[0]!.source!.label).toBe('Thanos v0.42.4, pkg/receive/handler.go (lines 1077-1087)');
    });
  }

  it('scaling below RF also raises hashring-too-small', () => {
    const found = risks(stackConfig({ rf: 3, ingestors: 3 }), stackConfig({ rf: 3, ingestors: 2 }));
    expect(found.map((risk) => risk.id)).toEqual(expect.arrayContaining(['ingestor-scale-down', 'hashring-too-small']));
    expect(only(found, 'ingestor-scale-down')[0]).toMatchObject({
      severity: 'high',
      message: expect.stringContaining('2 ingestors cannot hold RF 3'),
    });
  });

  it('does not fire on a scale-up', () => {
    expect(
      only(risks(stackConfig({ rf: 2, ingestors: 3 }), stackConfig({ rf: 2, ingestors: 4 })), 'ingestor-scale-down'),
    ).toEqual([]);
  });
});

describe('replication-factor and replication-factor-mismatch', () => {
  it.each([
    [1, 2],
    [2, 3],
    [3, 2],
    [2, 1],
  ])('RF %i -> %i names both quorums (RF 2 has quorum 1 since v0.37)', (was, now) => {
    const found = only(
      risks(stackConfig({ rf: was, ingestors: 4 }), stackConfig({ rf: now, ingestors: 4 })),
      'replication-factor',
    );
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]!.message).toContain(`from ${was} to ${now}`);
    expect(found[0]!.message).toContain(`needs ${writeQuorum(now)} of them (was ${writeQuorum(was)} of ${was})`);
    expect(writeQuorum(2)).toBe(1);
    expect(writeQuorum(3)).toBe(2);
    expect(writeQuorum(2, { major: 0, minor: 36, patch: 0 })).toBe(2);
  });

  it('is quiet when routers and ingestors keep one RF', () => {
    expect(
      only(
        risks(
          stackConfig({ rf: 2 }),
          edit(stackConfig({ rf: 2 }), (c) => {
            c.query.replicas = 3;
          }),
        ),
        'replication-factor-mismatch',
      ),
    ).toEqual([]);
    expect(issues(stackConfig({ rf: 2 }), 'replication-factor-mismatch')).toEqual([]);
  });

  it('router RF above the ingestors: copies above their RF are rejected (error)', () => {
    const head = stackConfig({ rf: 2, routerRf: 3, ingestors: 4 });
    const found = only(risks(stackConfig({ rf: 2, ingestors: 4 }), head), 'replication-factor-mismatch');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain('copies 3..3 fail');
    expect(found[0]!.source!.label).toBe('Thanos v0.42.4, pkg/receive/handler.go (lines 676-686)');
    expect(issues(head, 'replication-factor-mismatch')[0]).toMatchObject({
      severity: 'error',
      option: 'receiveRouter.replicationFactor / receiveIngestor.replicationFactor',
    });
  });

  it('ingestors without the hashrings file (IngestorOnly) are not held to the router RF: they never check the replica number', () => {
    const ingestorOnly = (config: Config) =>
      edit(config, (c) => {
        c.receiveIngestor.hashringConfigMapName = '';
      });
    const head = ingestorOnly(stackConfig({ rf: 2, routerRf: 3, ingestors: 4 }));
    expect(
      only(risks(ingestorOnly(stackConfig({ rf: 2, ingestors: 4 })), head), 'replication-factor-mismatch'),
    ).toEqual([]);
    expect(issues(head, 'replication-factor-mismatch')).toEqual([]);
    // The ring the router reads is checked against the router's RF.
    expect(issues(ingestorOnly(stackConfig({ rf: 2, routerRf: 3, ingestors: 2 })), 'hashring-too-small')).toHaveLength(
      1,
    );
    // No ingestor reads the ring, so none flushes on its change, and none is told to set the flag.
    const membership = only(
      risks(ingestorOnly(stackConfig({ rf: 2, ingestors: 3 })), ingestorOnly(stackConfig({ rf: 2, ingestors: 4 }))),
      'hashring-membership',
    );
    expect(membership.length).toBeGreaterThan(0);
    expect(membership.map((finding) => finding.message).join('\n')).toContain(
      'no ingestor of this stack reads the file, so none flushes',
    );
    expect(
      issues(
        ingestorOnly(
          edit(stackConfig({ rf: 2, fileAlgorithm: 'ketama' }), (c) => {
            c.receiveRouter.hashringsAlgorithm = 'ketama';
          }),
        ),
        'ketama-without-flag',
      ),
    ).toEqual([]);
  });

  it('router RF below the ingestors: fewer copies than configured (warning)', () => {
    const head = stackConfig({ rf: 2, routerRf: 1 });
    expect(only(risks(stackConfig({ rf: 2 }), head), 'replication-factor-mismatch')[0]!.message).toContain(
      'keeps 1 copy of each series, not the 2',
    );
    expect(issues(head, 'replication-factor-mismatch')[0]!.severity).toBe('warning');
  });
});

describe("hashring-membership: flushing depends on the ingestors' --receive.hashrings-algorithm flag", () => {
  it('ketama in the file without the flag: every ingestor flushes (high)', () => {
    const found = only(
      risks(
        stackConfig({ rf: 2, ingestors: 3, fileAlgorithm: 'ketama' }),
        stackConfig({ rf: 2, ingestors: 4, fileAlgorithm: 'ketama' }),
      ),
      'hashring-membership',
    );
    expect(found).toHaveLength(1);
    expect(found[0]!.severity).toBe('high');
    expect(found[0]!.message).toContain('ketama moves only the series of the 1 changed endpoint (ring of 3 -> 4)');
    expect(found[0]!.message).toContain('4 ingestor pods');
    expect(found[0]!.message).toContain('--receive.hashrings-algorithm=hashmod) flush their head');
    expect(found[0]!.action).toContain('hashringsAlgorithm: ketama');
    expect(found[0]!.source!.label).toBe('Thanos v0.42.4, cmd/thanos/receive.go (lines 752-783)');
  });

  it('ketama with the flag: ingestors keep their heads (medium)', () => {
    const found = only(
      risks(
        stackConfig({ rf: 2, ingestors: 3, fileAlgorithm: 'ketama', flag: 'ketama' }),
        stackConfig({ rf: 2, ingestors: 4, fileAlgorithm: 'ketama', flag: 'ketama' }),
      ),
      'hashring-membership',
    );
    expect(found).toHaveLength(1);
    expect(found[0]!.severity).toBe('medium');
    expect(found[0]!.message).toContain('keep their heads');
  });

  it('hashmod: almost every series moves (high)', () => {
    const found = only(
      risks(stackConfig({ rf: 1, ingestors: 2 }), stackConfig({ rf: 1, ingestors: 3 })),
      'hashring-membership',
    );
    expect(found[0]!.severity).toBe('high');
    expect(found[0]!.message).toContain('hashmod moves almost every series');
  });

  it('validation warns about ketama in the file without the flag, and not with it', () => {
    const warned = issues(stackConfig({ fileAlgorithm: 'ketama' }), 'ketama-without-flag');
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({
      severity: 'warning',
      option: 'receiveIngestor.hashringsAlgorithm',
      file: 'thanos-receive-ingestor-default-statefulSet.yaml',
    });
    expect(issues(stackConfig({ fileAlgorithm: 'ketama', flag: 'ketama' }), 'ketama-without-flag')).toEqual([]);
  });

  it('the hashringsAlgorithm option renders the flag on ingestors and routers only when set', () => {
    const args = (set: ManifestSet) =>
      set
        .filter(({ object }) => ['StatefulSet', 'Deployment'].includes(object.kind))
        .flatMap(({ object }) => (object as Config).spec.template.spec.containers[0].args as string[]);
    expect(args(render(stackConfig())).filter((arg) => arg.startsWith('--receive.hashrings-algorithm'))).toEqual([]);
    expect(
      args(render(stackConfig({ flag: 'ketama' }))).filter((arg) => arg.startsWith('--receive.hashrings-algorithm')),
    ).toEqual(['--receive.hashrings-algorithm=ketama', '--receive.hashrings-algorithm=ketama']);
  });

  it("a switch of the routers' flag reshuffles rings that name no algorithm", () => {
    const found = only(risks(stackConfig(), stackConfig({ flag: 'ketama' })), 'hashring-algorithm');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain('from hashmod to ketama');
  });
});

describe('hashring-removed and hashring-tenants', () => {
  it('a removed hashring file: running receivers keep their ring and fail at the next restart', () => {
    const base = render(stackConfig());
    const head = base.filter(({ object }) => object.kind !== 'ConfigMap');
    const found = only(analyzeManifestSets(base, head).risks, 'hashring-removed');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain('running receivers keep the ring they loaded');
    expect(found[0]!.message).toContain('cannot mount the ConfigMap');
    expect(found[0]!.message).not.toContain('reject remote writes');
  });

  it('a kept hashring file is not "removed"', () => {
    expect(only(risks(stackConfig(), stackConfig({ ingestors: 4 })), 'hashring-removed')).toEqual([]);
  });

  it('an ingestor StatefulSet removed together with its ring entries is medium: pods flush and upload on the way out', () => {
    const head = edit(stackConfig(), (c) => {
      c.receiveIngestor.hashrings = [{ hashring: 'main', tenants: [] }];
    });
    const found = only(risks(stackConfig(), head), 'ingestor-removed');
    expect(found).toEqual([expect.objectContaining({ severity: 'medium', object: `StatefulSet thanos/${INGESTOR}` })]);
    expect(found[0]!.message).toContain(
      'each flushes its head and uploads the last block on SIGTERM within the 900 s grace period; the PVCs stay',
    );
    expect(found[0]!.message).not.toMatch(/lost/);
  });

  it('moved tenants: nothing is said to be duplicated', () => {
    const head = edit(stackConfig(), (c) => {
      c.receiveIngestor.hashrings = [
        { hashring: 'team-a', tenants: ['a'] },
        { hashring: 'default', tenants: [] },
      ];
    });
    const found = only(risks(stackConfig(), head), 'hashring-tenants');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain('a (default -> team-a)');
    expect(`${found[0]!.message} ${found[0]!.action}`).not.toMatch(/duplicat/);
    expect(found[0]!.message).toContain('no sample is written twice');
  });
});

describe("query-replica-labels: the querier must deduplicate on the ingestors' replica label", () => {
  for (const rf of [1, 2, 3]) {
    it(`RF ${rf}: ${rf === 1 ? 'no copies, quiet' : 'missing `replica` doubles sums'}`, () => {
      const head = stackConfig({ rf, queryLabels: ['prometheus_replica', 'receive_replica'] });
      const found = only(risks(stackConfig({ rf }), head), 'query-replica-labels');
      const warned = issues(head, 'query-replica-labels');
      if (rf === 1) {
        expect(found).toEqual([]);
        expect(warned).toEqual([]);
        return;
      }
      expect(found).toHaveLength(1);
      expect(found[0]!.message).toContain(`RF ${rf} stores every series ${rf} times`);
      expect(found[0]!.action).toBe('add `replica` to query.replicaLabels (--query.replica-label)');
      expect(warned[0]).toMatchObject({
        severity: 'warning',
        option: 'query.replicaLabels',
        file: 'thanos-query-deployment.yaml',
      });
      expect(issues(stackConfig({ rf }), 'query-replica-labels')).toEqual([]);
    });
  }
});

describe('labels', () => {
  it('dropping the per-pod replica label is high: identical streams overlap and halt the compactor', () => {
    const head = edit(stackConfig(), (c) => {
      c.receiveIngestor.labels = ['receive="true"'];
    });
    const found = only(risks(stackConfig(), head), 'external-labels');
    expect(found[0]!.severity).toBe('high');
    expect(found[0]!.message).toContain('compactor halts');
  });

  it('adding a plain external label is medium', () => {
    const head = edit(stackConfig(), (c) => {
      c.receiveIngestor.labels = ['replica="$(NAME)"', 'receive="true"', 'cluster="eu1"'];
    });
    expect(only(risks(stackConfig(), head), 'external-labels')[0]!.severity).toBe('medium');
  });

  it('--receive.tenant-label-name changes are flagged', () => {
    const head = edit(stackConfig(), (c) => {
      c.receiveIngestor.tenantLabelName = 'tenant';
    });
    expect(only(risks(stackConfig(), head), 'tenant-label')[0]!.message).toContain('from tenant_id to tenant');
    expect(only(risks(stackConfig(), stackConfig()), 'tenant-label')).toEqual([]);
  });

  it('turning on compactor deduplication is high (irreversible vertical compaction); validation checks the labels', () => {
    const head = edit(stackConfig(), (c) => {
      c.compact.deduplicationReplicaLabels = ['replica'];
    });
    const found = only(risks(stackConfig(), head), 'replica-labels');
    expect(found[0]).toMatchObject({ severity: 'high' });
    expect(found[0]!.message).toContain('turns on vertical compaction');
    expect(found[0]!.message).toContain('irreversibly');
    expect(issues(head, 'compactor-dedup-labels')).toEqual([]);
    const wrong = edit(stackConfig(), (c) => {
      c.compact.deduplicationReplicaLabels = ['cluster'];
    });
    expect(issues(wrong, 'compactor-dedup-labels').map((issue) => issue.option)).toEqual([
      'compact.deduplicationReplicaLabels',
      'compact.deduplicationReplicaLabels / query.replicaLabels',
    ]);
  });
});

describe('compactor', () => {
  it.each([
    ['24h', true],
    ['40h', false],
    ['0d', false],
  ])('raw retention %s below the 40h downsampling window: %s', (raw, flagged) => {
    const head = edit(stackConfig(), (c) => {
      c.compact.retentionResolutionRaw = raw;
    });
    expect(only(risks(stackConfig(), head), 'retention-below-downsampling').length > 0).toBe(flagged);
    expect(issues(head, 'retention-below-downsampling').length > 0).toBe(flagged);
  });

  it.each([
    ['7d', true],
    ['10d', false],
  ])('5m retention %s below the 10d window: %s', (fiveMinute, flagged) => {
    const head = edit(stackConfig(), (c) => {
      c.compact.retentionResolution5m = fiveMinute;
    });
    const found = only(risks(stackConfig(), head), 'retention-below-downsampling');
    expect(found.length > 0).toBe(flagged);
    if (flagged) expect(found[0]!.message).toContain(`--retention.resolution-5m=${fiveMinute} is shorter than the 10d`);
  });

  it('disabling downsampling is flagged once', () => {
    const head = edit(stackConfig(), (c) => {
      c.compact.disableDownsampling = true;
    });
    expect(only(risks(stackConfig(), head), 'downsampling-disabled')).toHaveLength(1);
    expect(only(risks(head, head), 'downsampling-disabled')).toEqual([]);
  });

  it('compact plus compactShards on one bucket is a second compactor', () => {
    const head = edit(stackConfig(), (c) => {
      c.compactShards = { shards: 2, sourceLabels: ['cluster'], replicas: 1 };
    });
    const found = only(risks(stackConfig(), head), 'second-compactor');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain('s3://metrics');
    expect(issues(head, 'second-compactor')).toHaveLength(1);
    const shardsOnly = edit(head, (c) => {
      delete c.compact;
    });
    expect(issues(shardsOnly, 'second-compactor')).toEqual([]);
  });

  it('a renamed compactor runs beside the old one until the prune', () => {
    const head = edit(stackConfig(), (c) => {
      c.compact.name = 'thanos-compactor';
    });
    const found = only(risks(stackConfig(), head), 'second-compactor');
    expect(found.map((risk) => risk.message)).toEqual([
      expect.stringContaining('creates the new compactor before it prunes the old one'),
    ]);
  });
});

describe('object storage', () => {
  it('a bucket or prefix change names both locations and every reader', () => {
    const head = edit(stackConfig(), (c) => {
      c.objectStorage.bucket = 'metrics-v2';
    });
    const found = only(risks(stackConfig(), head), 'objstore-bucket');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain('bucket `metrics` -> `metrics-v2`');
    expect(found[0]!.message).toMatch(/3 components \(.*thanos-compact.*\)/);
    expect(only(risks(stackConfig(), stackConfig()), 'objstore-bucket')).toEqual([]);
  });

  it('never quotes anything but type, bucket, endpoint and prefix from the objstore Secret', async () => {
    const { renderJsonReport, renderFullReport } = await import('../../src/diff/index.js');
    const planted = 'PLANTED-SECRET-KEY-0123456789';
    // Access keys as `rotate` writes them into the rendered Secret (mode accessKeys).
    const plant = (bucket: string) =>
      render(
        edit(stackConfig(), (c) => {
          c.objectStorage.bucket = bucket;
        }),
      ).map((item) =>
        item.object.kind === 'Secret'
          ? {
              ...item,
              object: {
                ...item.object,
                data: {
                  'thanos.yaml': Buffer.from(
                    `type: S3\nconfig:\n  bucket: ${bucket}\n  endpoint: s3.eu-west-1.amazonaws.com\n  access_key: AKIAPLANTED\n  secret_key: ${planted}\n`,
                  ).toString('base64'),
                },
              },
            }
          : item,
      );
    const diff = analyzeManifestSets(plant('metrics'), plant('metrics-v2'));
    expect(only(diff.risks, 'objstore-bucket')).toHaveLength(1);
    for (const report of [
      renderJsonReport(diff, { environment: 'prod' }),
      renderFullReport(diff, { environment: 'prod' }),
    ]) {
      expect(report).not.toContain(planted);
      expect(report).not.toContain('AKIAPLANTED');
      expect(report).not.toContain(Buffer.from(planted).toString('base64'));
    }
  });
});

describe('workloads', () => {
  it('router replicas 0 is a write outage', () => {
    const head = edit(stackConfig(), (c) => {
      c.receiveRouter.routerReplicas = 0;
    });
    expect(only(risks(stackConfig(), head), 'router-replicas-zero')).toHaveLength(1);
    expect(only(risks(head, head), 'router-replicas-zero')).toEqual([]);
  });

  it('an image downgrade is its own medium risk; an upgrade stays low', () => {
    const older = edit(stackConfig(), (c) => {
      c.common.image = 'quay.io/thanos/thanos:v0.40.1';
    });
    expect(
      new Set(
        risks(stackConfig(), older)
          .filter((risk) => risk.id.startsWith('image'))
          .map((risk) => `${risk.id}/${risk.severity}`),
      ),
    ).toEqual(new Set(['image-downgrade/medium']));
    expect(
      new Set(
        risks(older, stackConfig())
          .filter((risk) => risk.id.startsWith('image'))
          .map((risk) => `${risk.id}/${risk.severity}`),
      ),
    ).toEqual(new Set(['image-change/low']));
  });

  it('the ruler losing its queriers or Alertmanagers', () => {
    const withRuler = edit(stackConfig(), (c) => {
      c.rule = {
        replicas: 1,
        queriers: ['dnssrv+_http._tcp.thanos-query.thanos'],
        alertmanagersURLs: ['alertmanager:9093'],
      };
    });
    const head = edit(withRuler, (c) => {
      c.rule.queriers = [];
      c.rule.alertmanagersURLs = [];
    });
    const found = only(risks(withRuler, head), 'ruler-targets');
    expect(found.map((risk) => risk.message)).toEqual([
      expect.stringMatching(/^removes every querier .*recording rules stop/),
      expect.stringMatching(/^removes every Alertmanager .*sent nowhere/),
    ]);
    expect(only(risks(withRuler, withRuler), 'ruler-targets')).toEqual([]);
  });

  it('the query-frontend downstream URL', () => {
    const base = edit(stackConfig(), (c) => {
      c.queryFrontend = { replicas: 1, downstreamURL: 'http://thanos-query.thanos:9090' };
    });
    const head = edit(base, (c) => {
      c.queryFrontend.downstreamURL = 'http://thanos-query-v2.thanos:9090';
    });
    expect(only(risks(base, head), 'query-frontend-downstream')).toHaveLength(1);
  });

  it('Namespace pruned, RBAC added', () => {
    const base = render(stackConfig());
    base.push({
      file: 'namespace.yaml',
      object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'thanos' } },
    });
    const head = base.filter(({ object }) => object.kind !== 'Namespace');
    head.push({
      file: 'role.yaml',
      object: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'thanos' },
        rules: [],
      },
    });
    const found = only(analyzeManifestSets(base, head).risks, 'cluster-scoped');
    expect(found.map((risk) => [risk.object, risk.severity])).toEqual([
      ['Namespace thanos', 'high'],
      ['ClusterRole thanos', 'medium'],
    ]);
  });
});

describe('the bundled example', () => {
  it('validates with no warning, dedups on `replica` and sets the ketama flag', async () => {
    const { loadStackConfig } = await import('../../src/config/index.js');
    for (const file of ['examples/stack/thanos-stack.yaml', 'examples/stack/thanos-stack.next.yaml']) {
      const set = renderStack(await loadStackConfig(file));
      expect(validateStack(set), file).toEqual([]);
    }
  });
});
