import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { COMPONENT_DEFAULTS, POD_SECURITY_CONTEXT } from '../../src/config/defaults.js';
import {
  COMPONENT_KEYS,
  componentOptions,
  EXTENSION_OPTIONS,
  IGNORED_OPTIONS,
  optionSchemas,
  type ComponentKey,
} from '../../src/config/schema.js';
import { stackSchemaJson } from '../../src/config/json-schema.js';
import { parseStackConfig } from '../../src/config/parse.js';
import { defaultValuesProgram, KUBE_THANOS_LIB, kubeThanosOptions } from '../helpers/kube-thanos-options.js';
import { optionsTable } from '../../scripts/options-table.js';

/**
 * Options kube-thanos declares for the router but never reads, which the router section still accepts because
 * existing stack configs set them there (they come from the shared receive defaults); they change nothing.
 */
const ROUTER_ACCEPTED_UNUSED = [
  'enableLocalEndpoint',
  'minReadySeconds',
  'objectStorageConfig',
  'podDisruptionBudgetMaxUnavailable',
  'receiveLimitsConfigFile',
  'replicas',
  'retention',
  'serviceMonitor',
  'tenantHeader',
  'volumeClaimTemplate',
  'replicaLabels',
];

/** Defaults computed from other options (late-bound in kube-thanos), resolved in src/config/resolve.ts and the renderer. */
const COMPUTED = new Set([
  'commonLabels',
  'podLabelSelector',
  'serviceLabelSelector',
  'securityContextContainer',
  'podDisruptionBudgetMaxUnavailable',
  'stores',
]);

describe('option parity with kube-thanos (measured from ../shared/kube-thanos/src)', () => {
  const measured = Object.fromEntries(COMPONENT_KEYS.map((key) => [key, kubeThanosOptions(key)])) as Record<
    ComponentKey,
    ReturnType<typeof kubeThanosOptions>
  >;

  it.each(COMPONENT_KEYS)('%s accepts every option kube-thanos reads, under its kube-thanos name', (key) => {
    const ours = new Set<string>(componentOptions[key]);
    expect(measured[key].used.filter((option) => !ours.has(option))).toEqual([]);
  });

  it.each(COMPONENT_KEYS)(
    '%s accepts nothing kube-thanos ignores, and refuses each ignored option with a reason',
    (key) => {
      const { used, ignored } = measured[key];
      const tolerated = key === 'receiveRouter' ? ROUTER_ACCEPTED_UNUSED : [];
      const extra = componentOptions[key].filter(
        (option: string) =>
          !used.includes(option) &&
          !tolerated.includes(option) &&
          !(EXTENSION_OPTIONS as readonly string[]).includes(option),
      );
      expect(extra).toEqual([]);
      const refused = Object.keys(IGNORED_OPTIONS[key] ?? {});
      expect(ignored.filter((option) => !tolerated.includes(option)).sort()).toEqual(refused.sort());
    },
  );

  it('every accepted option is in the JSON Schema of its component', () => {
    const schema = JSON.parse(stackSchemaJson()) as { $defs: Record<string, { properties?: Record<string, unknown> }> };
    for (const key of COMPONENT_KEYS) {
      const properties = Object.keys(schema.$defs[`component.${key}`]?.properties ?? {});
      expect(properties.sort(), key).toEqual([...componentOptions[key]].sort());
    }
    for (const option of Object.keys(optionSchemas)) expect(schema.$defs[`option.${option}`], option).toBeDefined();
  });

  it('our defaults are kube-thanos defaults, read from the evaluated libsonnet', () => {
    const fields = Object.fromEntries(
      COMPONENT_KEYS.map((key) => [
        key,
        [...measured[key].defaults.values()]
          .filter((field) => !field.required && !COMPUTED.has(field.name))
          .map((field) => field.name),
      ]),
    ) as Record<ComponentKey, string[]>;
    const output = execFileSync('jsonnet', ['-J', KUBE_THANOS_LIB, '-'], {
      input: defaultValuesProgram(fields),
      encoding: 'utf8',
    });
    const kubeThanos = JSON.parse(output) as Record<ComponentKey, Record<string, unknown>>;
    let compared = 0;
    const mismatches: string[] = [];
    for (const key of COMPONENT_KEYS) {
      for (const [option, value] of Object.entries(kubeThanos[key])) {
        if (!(componentOptions[key] as readonly string[]).includes(option)) continue;
        // kube-thanos's "not set" empty objects are absent from our defaults (same meaning: the renderer skips them).
        const ours = COMPONENT_DEFAULTS[key][option as keyof (typeof COMPONENT_DEFAULTS)[ComponentKey]];
        const expected = option === 'securityContext' ? POD_SECURITY_CONTEXT : ours;
        compared++;
        if (expected === undefined && value !== null && typeof value === 'object' && Object.keys(value).length === 0)
          continue;
        if (JSON.stringify(expected) !== JSON.stringify(value) && !isDeepStrictEqual(expected, value)) {
          mismatches.push(`${key}.${option}: ours ${JSON.stringify(expected)}, kube-thanos ${JSON.stringify(value)}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(200);
  });

  it('the README options table is current (npx tsx scripts/options-table.ts --write)', () => {
    const readme = readFileSync(resolve(process.cwd(), 'README.md'), 'utf8');
    expect(readme).toContain(optionsTable());
  });
});

describe('options kube-thanos ignores are refused with the reason', () => {
  const header = [
    'apiVersion: thanos-gitops/v1alpha1',
    'kind: ThanosStack',
    'common: {namespace: thanos, version: v0.42.4, image: thanos:v0.42.4}',
  ];
  const parse = (lines: string[]) => () => parseStackConfig([...header, ...lines, ''].join('\n'), 'stack.yaml');

  it.each([
    [
      'compact',
      'securityContextContainer: {runAsNonRoot: true}',
      /compact\.securityContextContainer: kube-thanos declares this option for compact but never uses it.*set securityContext \(the pod one\)/,
    ],
    [
      'receiveIngestor',
      'routerReplicas: 2',
      /receiveIngestor\.routerReplicas: kube-thanos declares this option.*only the receiveRouter Deployment reads routerReplicas/,
    ],
    [
      'bucketReplicate',
      'securityContextContainer: {}',
      /bucketReplicate\.securityContextContainer: kube-thanos declares this option/,
    ],
  ])('%s %s', (component, option, message) => {
    expect(
      parse([
        `${component}:`,
        `  ${option}`,
        '  objectStorageConfig: {name: o, key: k}',
        '  replicationFactor: 1',
        '  replicas: 1',
        '  objectStorageToConfig: {name: o, key: k}',
      ]),
    ).toThrow(message);
  });

  it('a commonLabels override must keep the labels kube-thanos reads back for the anti-affinity', () => {
    expect(
      parse([
        'store:',
        '  replicas: 1',
        '  objectStorageConfig: {name: o, key: k}',
        "  commonLabels: {'app.kubernetes.io/name': store}",
      ]),
    ).toThrow(
      /store\.commonLabels: missing label app\.kubernetes\.io\/instance: kube-thanos builds the pod anti-affinity from it/,
    );
  });

  it('rule extraVolumeMounts of a type other than configMap are refused (kube-thanos writes an invalid secret volume)', () => {
    expect(
      parse([
        'rule:',
        '  replicas: 1',
        '  objectStorageConfig: {name: o, key: k}',
        '  reloaderImage: r',
        '  extraVolumeMounts: [{name: x, mountPath: /x, type: secret}]',
      ]),
    ).toThrow(/rule\.extraVolumeMounts\[0\]\.type/);
  });
});
