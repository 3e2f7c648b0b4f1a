import { withDebugStack, type Command } from '../command.js';
import { describeSource, loadManifestSet } from '../../sources/index.js';
import { reportStackIssues } from './stack-checks.js';
import { renderFullReport } from '../../diff/index.js';
import { planManifestSet, type PlanResult } from '../../kube/index.js';
import { applyOrderFor } from '../../ring/ring-steps.js';
import { analyzePlan, caBundleCheck } from '../../thanos/index.js';
import { withProgress } from '../progress.js';
import {
  clientFromFlags,
  clusterFlagOptions,
  clusterFlagsUsage,
  environmentFromFlags,
  namespaceFor,
  parseFlags,
  rejectPositionals,
  sourceFlagOptions,
  sourceFlagsUsage,
  sourceSpecFromFlags,
} from '../flags.js';

export function formatPlan(plan: PlanResult, environment: string, source?: string): string {
  const context = {
    environment,
    title: `Plan for ${environment} (server-side dry-run against the live cluster)`,
    baseRef: 'live cluster',
    ...(source ? { headRef: source } : {}),
  };
  const sections: string[] = [renderFullReport(plan.diff, context)];
  const list = (title: string, items: string[]) => {
    if (items.length) sections.push(`${title}\n${items.map((item) => `  ${item}`).join('\n')}`);
  };
  if (plan.diff.order?.refused)
    sections.push(`Order of the apply: REFUSED\n  ${plan.diff.order.refused.replace(/\n/g, '\n  ')}`);
  else
    list(
      'Order of the apply (the ingestor ring changes; apply --no-order applies everything at once):',
      plan.diff.order?.steps ?? [],
    );
  list('Order warnings:', plan.diff.order?.warnings ?? []);
  list('Would prune (members of earlier applies no longer in the set):', plan.prune);
  list(
    'Conflicts (apply needs --force-conflicts):',
    plan.conflicts.map((c) => `${c.object}: ${c.field} is owned by "${c.manager}"`),
  );
  list(
    'Immutable fields (apply needs --recreate):',
    plan.immutable.map((i) => `${i.object}: ${i.message}`),
  );
  list(
    'Refused by the server:',
    plan.errors.map((e) => `${e.object}: ${e.message}`),
  );
  list(
    'Not dry-run (their CustomResourceDefinition is in this set and not served yet; apply creates it first, then checks them):',
    plan.deferred.map((d) => `${d.object}: will be created after CustomResourceDefinition ${d.crd}`),
  );
  list('Warnings:', plan.warnings);
  return `${sections.join('\n\n')}\n`;
}

export const planCommand: Command = {
  name: 'plan',
  usage: `Usage: thanos-gitops plan [source] [cluster] [options]

Server-side dry-runs every object of the set and diffs the result against the live object (Secrets masked),
including objects apply would prune, fields other managers own and immutable-field changes. Never writes.
Exit code 0 when the plan succeeded (whether or not there are changes), 1 when the server refused an object.

${sourceFlagsUsage}

${clusterFlagsUsage}

Options:
  --force-conflicts         plan as if conflicts were forced
  --skip-missing-kinds      skip objects of kinds the server does not serve
  --no-prune                do not show prune candidates
  --write-only-secrets      never read or compare Secrets: each is shown as "will be written" with its key names
                            (what the plan identity of 'thanos-gitops rbac --mode plan' may do; no Secret access)
  --json                    print the plan as JSON (counts, entries with patches, conflicts, prune list)
`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      ...sourceFlagOptions,
      ...clusterFlagOptions,
      'force-conflicts': { type: 'boolean' },
      'skip-missing-kinds': { type: 'boolean' },
      'no-prune': { type: 'boolean' },
      'write-only-secrets': { type: 'boolean' },
      json: { type: 'boolean' },
    });
    rejectPositionals(positionals);
    const spec = sourceSpecFromFlags(values);
    return withDebugStack(io, () =>
      withProgress(io, async (progress) => {
        const set = await loadManifestSet(spec, { progress });
        reportStackIssues(set, spec, io);
        const environment = environmentFromFlags(values);
        const client = await clientFromFlags(values);
        try {
          const namespace = namespaceFor(values, set);
          const plan = analyzePlan(
            await planManifestSet(client, set, {
              progress,
              environment,
              namespace,
              force: !!values['force-conflicts'],
              prune: !values['no-prune'],
              missingKinds: values['skip-missing-kinds'] ? 'skip' : 'fail',
              secrets: values['write-only-secrets'] ? 'write-only' : 'compare',
              checks: [caBundleCheck],
            }),
          );
          const order = applyOrderFor(plan.live, set, namespace);
          if (order) plan.diff.order = order;
          if (values.json) {
            const { live: _live, merged: _merged, ...rest } = plan;
            io.stdout(
              `${JSON.stringify({ ...rest, diff: { counts: plan.diff.counts, risks: plan.diff.risks, forecast: plan.diff.forecast, capacity: plan.diff.capacity, issues: plan.diff.issues, order: plan.diff.order ?? null, entries: plan.diff.entries.filter((e) => e.change !== 'unchanged').map(({ before: _b, after: _a, ...entry }) => entry) } }, null, 2)}\n`,
            );
          } else {
            io.stdout(formatPlan(plan, environment, describeSource(spec)));
          }
          return plan.errors.length ? 1 : 0;
        } finally {
          client.close();
        }
      }),
    );
  },
};
