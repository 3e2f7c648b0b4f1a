import { diffManifestSets, type DiffOptions } from '../diff/diff.js';
import type { ManifestDiff } from '../diff/types.js';
import type { ManifestSet } from '../model/objects.js';
import { capacityDelta } from './capacity.js';
import { forecastRestarts } from './forecast.js';
import { detectRisks } from './risks.js';
import { StackChange } from './rule.js';
import { StackView } from './stack.js';
import { validateStack } from './validate.js';

/**
 * The generic diff of two manifest sets with the Thanos analysis on top: risk flags from the rule registry, the
 * restart forecast per workload and the capacity delta per component. Rules read the sets as given (rendered,
 * live or dry-run objects); Secret values that arrive masked are simply not compared.
 */
export function analyzeManifestSets(base: ManifestSet, head: ManifestSet, options: DiffOptions = {}): ManifestDiff {
  const diff = diffManifestSets(base, head, options);
  return analyzeDiff(diff, base, head);
}

/** Adds risks, forecast and capacity to a generic diff of `base` and `head`. */
export function analyzeDiff(diff: ManifestDiff, base: ManifestSet, head: ManifestSet): ManifestDiff {
  const baseView = new StackView(base);
  const headView = new StackView(head);
  return {
    ...diff,
    risks: detectRisks(baseView, headView),
    forecast: forecastRestarts(new StackChange(baseView, headView)),
    capacity: capacityDelta(baseView, headView),
    issues: validateStack(head),
  };
}

/**
 * A plan of the live cluster with the Thanos analysis on top: the generic plan diffs live objects against the
 * server's dry-run results, and the analysis reads the same two sets.
 */
export function analyzePlan<Plan extends { diff: ManifestDiff; live: ManifestSet; merged: ManifestSet }>(
  plan: Plan,
): Plan {
  return { ...plan, diff: analyzeDiff(plan.diff, plan.live, plan.merged) };
}
