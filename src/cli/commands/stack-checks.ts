import type { Io } from '../command.js';
import { describeSource, type SourceSpec } from '../../sources/index.js';
import type { ManifestSet } from '../../model/objects.js';
import { formatValidationIssue, validateStack, type ValidationIssue } from '../../thanos/index.js';

/** Where validation messages say a problem is: the stack config file for config sources, else the source. */
export function validationOrigin(spec: SourceSpec): string {
  return spec.type === 'config' ? spec.config : describeSource(spec);
}

/** Runs stack validation over a rendered set and prints each issue on stderr; returns the issues. */
export function reportStackIssues(set: ManifestSet, spec: SourceSpec, io: Io): ValidationIssue[] {
  const issues = validateStack(set).sort((a, b) => Number(a.severity === 'warning') - Number(b.severity === 'warning'));
  for (const issue of issues) io.stderr(`${formatValidationIssue(issue, validationOrigin(spec))}\n`);
  return issues;
}
