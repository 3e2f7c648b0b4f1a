import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Risk } from '../../src/diff/index.js';
import { analyzeManifestSets as diffManifestSets } from '../../src/thanos/index.js';
import { parseDuration } from '../../src/model/duration.js';
import type { KubeObject, ManifestSet } from '../../src/model/objects.js';

const GOLDENS = join(import.meta.dirname, '../../../shared/kube-thanos');

function loadGolden(name: 'example' | 'all'): ManifestSet {
  const dir = join(GOLDENS, name);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => ({ file, object: parse(readFileSync(join(dir, file), 'utf8')) as KubeObject }));
}

/** The risks a mutation of one golden set produces, compared with the untouched set. */
function risksAfter(
  name: 'example' | 'all',
  mutate: (set: ManifestSet, get: (file: string) => Record<string, any>) => void,
): Risk[] {
  const head = loadGolden(name);
  const get = (file: string) => {
    const manifest = head.find((item) => item.file === file);
    if (!manifest) throw new Error(`no ${file} in ${name}`);
    return manifest.object as Record<string, any>;
  };
  mutate(head, get);
  return diffManifestSets(loadGolden(name), head).risks;
}

const container = (object: Record<string, any>) => object.spec.template.spec.containers[0];
const replaceArg = (object: Record<string, any>, prefix: string, value: string | undefined) => {
  const args: string[] = container(object).args;
  const index = args.findIndex((arg) => arg.startsWith(prefix));
  if (index < 0 && value !== undefined) args.push(value);
  else if (value === undefined) args.splice(index, 1);
  else args[index] = value;
};
const ids = (risks: Risk[]) => risks.map((risk) => risk.id);

const HASHRING_CM = 'thanos-receive-router-configmap.yaml';
const INGESTOR = 'thanos-receive-ingestor-default-statefulSet.yaml';
const setHashrings = (get: (file: string) => Record<string, any>, rings: unknown) => {
  get(HASHRING_CM).data['hashrings.json'] = JSON.stringify(rings);
};
const DEFAULT_ENDPOINT = 'thanos-receive-ingestor-default-0.thanos-receive-ingestor-default.thanos:10901';

describe('risk flags on kube-thanos output', () => {
  describe('immutable-field', () => {
    it.each([
      [
        'volumeClaimTemplates',
        (sts: Record<string, any>) => {
          sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage = '50Gi';
        },
      ],
      [
        'selector',
        (sts: Record<string, any>) => {
          sts.spec.selector.matchLabels['app.kubernetes.io/part-of'] = 'thanos';
        },
      ],
      [
        'serviceName',
        (sts: Record<string, any>) => {
          sts.spec.serviceName = 'thanos-store-headless';
        },
      ],
      [
        'podManagementPolicy',
        (sts: Record<string, any>) => {
          sts.spec.podManagementPolicy = 'Parallel';
        },
      ],
    ])('flags a StatefulSet %s change', (field, mutate) => {
      const risks = risksAfter('example', (_set, get) => mutate(get('thanos-store-statefulSet.yaml')));
      expect(risks).toHaveLength(1);
      expect(risks[0]).toMatchObject({
        id: 'immutable-field',
        severity: 'high',
        object: 'StatefulSet thanos/thanos-store',
      });
      expect(risks[0]!.message).toContain(`spec.${field}`);
      expect(risks[0]!.action).toMatch(/cascade=orphan/);
    });

    it('flags a Deployment selector change', () => {
      const risks = risksAfter('example', (_set, get) => {
        get('thanos-query-deployment.yaml').spec.selector.matchLabels.tier = 'query';
      });
      expect(risks.map((risk) => [risk.id, risk.object])).toEqual([
        ['immutable-field', 'Deployment thanos/thanos-query'],
      ]);
    });

    it('flags a Service clusterIP change once it is set', () => {
      const base = loadGolden('example');
      const service = base.find((item) => item.file === 'thanos-query-service.yaml')!.object as Record<string, any>;
      service.spec.clusterIP = '10.100.12.7';
      const head = structuredClone(base);
      (head.find((item) => item.file === 'thanos-query-service.yaml')!.object as Record<string, any>).spec.clusterIP =
        'None';
      const risks = diffManifestSets(base, head).risks;
      expect(risks).toHaveLength(1);
      expect(risks[0]).toMatchObject({ id: 'immutable-field', object: 'Service thanos/thanos-query' });
      expect(risks[0]!.message).toContain('10.100.12.7');
    });
  });

  describe('hashring changes', () => {
    it('names added and removed endpoints, high under the default hashmod', () => {
      const risks = risksAfter('example', (_set, get) =>
        setHashrings(get, [{ hashring: 'default', endpoints: ['ingestor-1:10901'], tenants: [] }]),
      );
      expect(ids(risks)).toEqual(['hashring-membership']);
      expect(risks[0]).toMatchObject({ severity: 'high', object: 'ConfigMap thanos/hashring-config' });
      expect(risks[0]!.message).toContain('adds `ingestor-1:10901`');
      expect(risks[0]!.message).toContain(`removes \`${DEFAULT_ENDPOINT}\``);
      expect(risks[0]!.message).toContain('hashmod');
    });

    // Was: medium whenever the file said ketama. Whether ingestors flush on a ring change reads only their
    // --receive.hashrings-algorithm flag (Thanos v0.42.4, cmd/thanos/receive.go), which kube-thanos never sets.
    it('is high under a ketama file while ingestors run the default flag, medium with the flag; an algorithm switch is high on its own', () => {
      const base = loadGolden('example');
      const ring = (algorithm: string, endpoints: string[]) => [
        { hashring: 'default', algorithm, endpoints, tenants: [] },
      ];
      (base.find((item) => item.file === HASHRING_CM)!.object as Record<string, any>).data['hashrings.json'] =
        JSON.stringify(ring('ketama', ['a:1']));
      const head = structuredClone(base);
      const headConfigMap = head.find((item) => item.file === HASHRING_CM)!.object as Record<string, any>;
      headConfigMap.data['hashrings.json'] = JSON.stringify(ring('ketama', ['a:1', 'b:1']));
      const risks = diffManifestSets(base, head).risks;
      expect(risks.map((risk) => [risk.id, risk.severity])).toEqual([['hashring-membership', 'high']]);
      expect(risks[0]!.message).toContain('--receive.hashrings-algorithm=hashmod');
      expect(risks[0]!.message).toContain('flush their head');
      const withFlag = structuredClone(head);
      container(withFlag.find((item) => item.file === INGESTOR)!.object as Record<string, any>).args.push(
        '--receive.hashrings-algorithm=ketama',
      );
      const baseWithFlag = structuredClone(base);
      container(baseWithFlag.find((item) => item.file === INGESTOR)!.object as Record<string, any>).args.push(
        '--receive.hashrings-algorithm=ketama',
      );
      expect(diffManifestSets(baseWithFlag, withFlag).risks.map((risk) => [risk.id, risk.severity])).toEqual([
        ['hashring-membership', 'medium'],
      ]);
      headConfigMap.data['hashrings.json'] = JSON.stringify(ring('hashmod', ['a:1']));
      expect(diffManifestSets(base, head).risks.map((risk) => [risk.id, risk.severity])).toEqual([
        ['hashring-algorithm', 'high'],
      ]);
    });

    it('names tenants that move to another hashring', () => {
      const risks = risksAfter('example', (_set, get) =>
        setHashrings(get, [
          { hashring: 'team-a', endpoints: ['team-a-0:10901'], tenants: ['tenant-a'] },
          { hashring: 'default', endpoints: [DEFAULT_ENDPOINT], tenants: [] },
        ]),
      );
      expect(ids(risks).sort()).toEqual(['hashring-membership', 'hashring-tenants']);
      const tenants = risks.find((risk) => risk.id === 'hashring-tenants')!;
      expect(tenants.message).toContain('tenant-a (default -> team-a)');
    });

    it('does not fire when only the JSON formatting of the hashring changes', () => {
      const risks = risksAfter('example', (_set, get) => {
        const configMap = get(HASHRING_CM);
        configMap.data['hashrings.json'] = JSON.stringify(JSON.parse(configMap.data['hashrings.json']), null, 4);
      });
      expect(risks).toEqual([]);
    });

    it('flags removing the hashring ConfigMap', () => {
      const risks = risksAfter('example', (set) => {
        set.splice(
          set.findIndex((item) => item.file === HASHRING_CM),
          1,
        );
      });
      expect(ids(risks)).toEqual(['hashring-removed']);
    });
  });

  describe('receive ingestors', () => {
    it('flags a replica decrease', () => {
      const risks = risksAfter('all', (_set, get) => {
        get('thanos-receive-default-statefulSet.yaml').spec.replicas = 2;
      });
      expect(risks.map((risk) => [risk.id, risk.object])).toEqual([
        ['ingestor-scale-down', 'StatefulSet thanos/thanos-receive-default'],
      ]);
      expect(risks[0]!.message).toContain('from 3 to 2');
    });

    it('does not flag a replica increase', () => {
      expect(
        risksAfter('all', (_set, get) => {
          get('thanos-receive-default-statefulSet.yaml').spec.replicas = 4;
        }),
      ).toEqual([]);
    });

    it('flags removing an ingestor StatefulSet', () => {
      const risks = risksAfter('example', (set) => {
        set.splice(
          set.findIndex((item) => item.file === INGESTOR),
          1,
        );
      });
      expect(risks.map((risk) => [risk.id, risk.severity])).toEqual([['ingestor-removed', 'high']]);
    });

    it('flags a replication factor change', () => {
      const risks = risksAfter('all', (_set, get) =>
        replaceArg(
          get('thanos-receive-default-statefulSet.yaml'),
          '--receive.replication-factor=',
          '--receive.replication-factor=3',
        ),
      );
      expect(ids(risks)).toEqual(['replication-factor']);
      expect(risks[0]!.message).toContain('from 2 to 3');
    });
  });

  describe('compactor', () => {
    it('flags lowering retention, treating 0d as unlimited', () => {
      const risks = risksAfter('all', (_set, get) =>
        replaceArg(
          get('thanos-compact-statefulSet.yaml'),
          '--retention.resolution-raw=',
          '--retention.resolution-raw=30d',
        ),
      );
      expect(ids(risks)).toEqual(['retention-decrease']);
      expect(risks[0]!.message).toContain('--retention.resolution-raw from unlimited to 30d');
    });

    it('flags lowering a finite retention but not raising it', () => {
      const base = loadGolden('all');
      const compact = base.find((item) => item.file === 'thanos-compact-statefulSet.yaml')!.object as Record<
        string,
        any
      >;
      replaceArg(compact, '--retention.resolution-5m=', '--retention.resolution-5m=90d');
      const lower = structuredClone(base);
      replaceArg(
        lower.find((item) => item.file === 'thanos-compact-statefulSet.yaml')!.object as Record<string, any>,
        '--retention.resolution-5m=',
        '--retention.resolution-5m=8w',
      );
      expect(ids(diffManifestSets(base, lower).risks)).toEqual(['retention-decrease']);
      const higher = structuredClone(base);
      replaceArg(
        higher.find((item) => item.file === 'thanos-compact-statefulSet.yaml')!.object as Record<string, any>,
        '--retention.resolution-5m=',
        '--retention.resolution-5m=1y',
      );
      expect(diffManifestSets(base, higher).risks).toEqual([]);
    });

    it('flags more than one compactor replica', () => {
      const risks = risksAfter('all', (_set, get) => {
        get('thanos-compact-statefulSet.yaml').spec.replicas = 2;
      });
      expect(risks.map((risk) => [risk.id, risk.severity])).toEqual([['compactor-replicas', 'high']]);
    });
  });

  it('flags StoreAPI endpoints removed from the querier', () => {
    const risks = risksAfter('all', (_set, get) =>
      replaceArg(get('thanos-query-deployment.yaml'), '--endpoint=dnssrv+_grpc._tcp.thanos-sidecar.thanos', undefined),
    );
    expect(risks.map((risk) => [risk.id, risk.object])).toEqual([
      ['store-endpoint-removed', 'Deployment thanos/thanos-query'],
    ]);
    expect(risks[0]!.message).toContain('dnssrv+_grpc._tcp.thanos-sidecar.thanos');
  });

  it('flags a changed objstore Secret reference', () => {
    const risks = risksAfter('example', (_set, get) => {
      const env: Array<Record<string, any>> = container(get('thanos-store-statefulSet.yaml')).env;
      env.find((variable) => variable.name === 'OBJSTORE_CONFIG')!.valueFrom.secretKeyRef.name = 'thanos-objstore-v2';
    });
    expect(ids(risks)).toEqual(['objstore-secret']);
    expect(risks[0]!.message).toContain('thanos-objstore-v2/thanos.yaml');
  });

  it('flags an image version change on every workload that changes', () => {
    const risks = risksAfter('example', (set) => {
      for (const { object } of set) {
        const containers = (object as Record<string, any>).spec?.template?.spec?.containers as
          | Array<Record<string, any>>
          | undefined;
        for (const item of containers ?? []) item.image = 'quay.io/thanos/thanos:v0.32.0';
      }
    });
    expect(new Set(ids(risks))).toEqual(new Set(['image-change']));
    expect(risks.map((risk) => risk.object).sort()).toEqual([
      'Deployment thanos/thanos-query',
      'Deployment thanos/thanos-receive-router',
      'StatefulSet thanos/thanos-receive-ingestor-default',
      'StatefulSet thanos/thanos-store',
    ]);
    expect(risks.every((risk) => risk.severity === 'low')).toBe(true);
  });

  it('flags changed external labels on receivers and rulers', () => {
    const risks = risksAfter('all', (_set, get) => {
      replaceArg(get('thanos-receive-default-statefulSet.yaml'), '--label=receive=', '--label=receive="default"');
    });
    expect(risks.map((risk) => [risk.id, risk.object])).toEqual([
      ['external-labels', 'StatefulSet thanos/thanos-receive-default'],
    ]);
    expect(risks[0]!.message).toContain('`+receive="default"`, `-receive="true"`');
  });

  it('flags changed compactor deduplication replica labels', () => {
    const risks = risksAfter('all', (_set, get) => {
      replaceArg(get('thanos-compact-statefulSet.yaml'), '--deduplication.replica-label=rule_replica', undefined);
    });
    expect(ids(risks)).toEqual(['replica-labels']);
  });

  it('flags a store shard selector change', () => {
    const risks = risksAfter('all', (_set, get) => {
      const store = get('thanos-store-shard0-statefulSet.yaml');
      replaceArg(
        store,
        '--selector.relabel-config=',
        String(container(store).args.find((arg: string) => arg.startsWith('--selector.relabel-config='))).replace(
          'modulus: 3',
          'modulus: 4',
        ),
      );
    });
    expect(risks.map((risk) => [risk.id, risk.object])).toEqual([
      ['store-sharding', 'StatefulSet thanos/thanos-store-0'],
    ]);
  });

  it('flags a store deletion-mark delay that reaches the compactor delete delay', () => {
    const risks = risksAfter('all', (_set, get) => {
      replaceArg(get('thanos-compact-statefulSet.yaml'), '--delete-delay=', '--delete-delay=12h');
    });
    expect(new Set(ids(risks))).toEqual(new Set(['deletion-delay']));
    expect(risks.map((risk) => risk.object)).toContain('StatefulSet thanos/thanos-store');
    expect(risks[0]!.message).toContain(
      "--ignore-deletion-marks-delay=24h is not below the compactor's --delete-delay=12h",
    );
    // Halving both keeps the rule: no risk.
    expect(
      risksAfter('all', (set, get) => {
        replaceArg(get('thanos-compact-statefulSet.yaml'), '--delete-delay=', '--delete-delay=24h');
        for (const { object } of set) {
          if ((object as Record<string, any>).spec?.template?.spec?.containers?.[0]?.args?.[0] === 'store') {
            replaceArg(
              object as Record<string, any>,
              '--ignore-deletion-marks-delay=',
              '--ignore-deletion-marks-delay=12h',
            );
          }
        }
      }),
    ).toEqual([]);
  });

  it('flags a new autoscaler for a workload whose replicas are in Git', () => {
    const risks = risksAfter('all', (set) => {
      set.push({
        file: 'thanos-query-hpa.yaml',
        object: {
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          metadata: { name: 'thanos-query', namespace: 'thanos' },
          spec: {
            scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'thanos-query' },
            minReplicas: 2,
            maxReplicas: 6,
          },
        },
      });
    });
    expect(risks.map((risk) => [risk.id, risk.object])).toEqual([
      ['autoscaler-replicas', 'Deployment thanos/thanos-query'],
    ]);
  });

  it('orders risks high first', () => {
    const risks = risksAfter('example', (_set, get) => {
      container(get('thanos-store-statefulSet.yaml')).image = 'quay.io/thanos/thanos:v0.32.0';
      get('thanos-store-statefulSet.yaml').spec.serviceName = 'other';
    });
    expect(risks.map((risk) => risk.severity)).toEqual(['high', 'low']);
  });

  describe('harmless changes stay quiet', () => {
    it.each<[string, (set: ManifestSet, get: (file: string) => Record<string, any>) => void]>([
      [
        'labels',
        (_set, get) => {
          const sts = get('thanos-receive-default-statefulSet.yaml');
          sts.metadata.labels.team = 'observability';
          sts.spec.template.metadata.labels.team = 'observability';
        },
      ],
      [
        'resources',
        (_set, get) => {
          container(get('thanos-compact-statefulSet.yaml')).resources = {
            requests: { cpu: '2', memory: '4Gi' },
            limits: { memory: '8Gi' },
          };
          container(get('thanos-store-statefulSet.yaml')).resources = { requests: { cpu: '1' } };
        },
      ],
      [
        'a new component',
        (set) => {
          const store = structuredClone(
            set.find((item) => item.file === 'thanos-store-shard0-statefulSet.yaml')!.object,
          ) as Record<string, any>;
          store.metadata.name = 'thanos-store-shard3';
          set.push({ file: 'thanos-store-shard3-statefulSet.yaml', object: store as KubeObject });
        },
      ],
      [
        'an unrelated argument',
        (_set, get) => {
          replaceArg(get('thanos-query-deployment.yaml'), '--log.level=', '--log.level=info');
          replaceArg(get('thanos-receive-default-statefulSet.yaml'), '--tsdb.retention=', '--tsdb.retention=7d');
          container(get('thanos-compact-statefulSet.yaml')).args.push('--compact.cleanup-interval=10m');
        },
      ],
      [
        'a new querier endpoint',
        (_set, get) => {
          container(get('thanos-query-deployment.yaml')).args.push(
            '--endpoint=dnssrv+_grpc._tcp.thanos-store-3.thanos',
          );
        },
      ],
      [
        'replica changes outside ingestors and compactors',
        (_set, get) => {
          get('thanos-query-deployment.yaml').spec.replicas = 3;
          get('thanos-store-statefulSet.yaml').spec.replicas = 1;
          get('thanos-rule-statefulSet.yaml').spec.replicas = 0;
        },
      ],
    ])('%s', (_name, mutate) => {
      expect(risksAfter('all', mutate)).toEqual([]);
    });
  });
});

describe('parseDuration', () => {
  it('reads Prometheus durations', () => {
    expect(parseDuration('0d')).toBe(0);
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1y')).toBe(365 * 86_400_000);
    expect(parseDuration('soon')).toBeUndefined();
  });
});
