import type { RiskFinding, RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import { flagValues, thanosComponent } from '../stack.js';

const QUERY_FLAGS = ['--query', '--query.config', '--query.config-file', '--query.sd-files'];
const ALERTMANAGER_FLAGS = ['--alertmanagers.url', '--alertmanagers.config', '--alertmanagers.config-file'];
const REMOTE_WRITE_FLAGS = ['--remote-write.config', '--remote-write.config-file'];

/** The ruler loses every querier (rules cannot be evaluated) or every Alertmanager (alerts go nowhere). */
export const rulerTargets: RiskRule = {
  id: 'ruler-targets',
  severity: 'high',
  versions: { from: 'v0.30.0' },
  source: SOURCES.ruleDocs,
  summary: 'the ruler loses all its queriers or Alertmanagers',
  check(change) {
    return change.modified().flatMap(({ before, after, name }) => {
      if (thanosComponent(after) !== 'rule') return [];
      const has = (object: typeof before, flags: string[]) => flags.some((flag) => flagValues(object, flag).length > 0);
      const findings: RiskFinding[] = [];
      if (has(before, QUERY_FLAGS) && !has(after, QUERY_FLAGS) && !has(after, REMOTE_WRITE_FLAGS)) {
        findings.push({
          object: name,
          message: `removes every querier (${QUERY_FLAGS.join(', ')}): the ruler has nothing to evaluate its rules against, so recording rules stop producing series and alerts stop firing`,
          action:
            'keep at least one --query endpoint (rule.queriers), e.g. dnssrv+_http._tcp.thanos-query.<namespace>.svc',
        });
      }
      if (has(before, ALERTMANAGER_FLAGS) && !has(after, ALERTMANAGER_FLAGS)) {
        findings.push({
          object: name,
          message: `removes every Alertmanager (${ALERTMANAGER_FLAGS.join(', ')}): alerting rules still evaluate, but their alerts are sent nowhere`,
          action: 'keep rule.alertmanagersURLs or rule.alertmanagerConfigFile pointing at your Alertmanagers',
        });
      }
      return findings;
    });
  },
};
