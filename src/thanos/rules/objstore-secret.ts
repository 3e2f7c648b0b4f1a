import type { RiskRule } from '../rule.js';
import { SOURCES } from '../source.js';
import { StackView } from '../stack.js';

/** A component reads its objstore config from another Secret key (or none): a different or missing bucket. */
export const objstoreSecret: RiskRule = {
  id: 'objstore-secret',
  severity: 'high',
  versions: { from: 'v0.30.0' },
  source: SOURCES.objstoreAtStart,
  summary: 'the objstore Secret reference of a component changed',
  check(change) {
    return change.modified().flatMap(({ before, after, name }) => {
      const was = StackView.objstoreRef(before);
      const now = StackView.objstoreRef(after);
      if (was === undefined || was === now || was.startsWith('inline:')) return [];
      return [
        {
          object: name,
          message:
            now === undefined
              ? `no longer reads OBJSTORE_CONFIG from Secret key \`${was}\`: it stops reading or uploading blocks`
              : `reads OBJSTORE_CONFIG from Secret key \`${now}\` instead of \`${was}\`: a wrong bucket or missing key loses uploads or hides blocks`,
          action:
            'check the new Secret exists in the namespace with the same bucket (or a deliberate migration), and change every component together',
        },
      ];
    });
  },
};
