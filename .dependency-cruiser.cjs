// The layer order of the code (README "Development"): a module imports its own folder or a folder of a lower rank,
// never one of its own rank or above; the entry points (rank 9) never import each other. `npm run lint:layers`.
/** @type {Array<[number, string]>} rank and folder, bottom to top */
const LAYERS = [
  [0, 'src/model'],
  [1, 'src/config'],
  [2, 'src/render'],
  [3, 'src/sources'],
  [4, 'src/diff'],
  [4, 'src/policy'],
  [5, 'src/thanos'],
  [6, 'src/kube'],
  [7, 'src/rotation'],
  [7, 'src/ring'],
  [8, 'src/reconciler'],
  [9, 'src/cli'],
  [9, 'src/action'],
  [9, 'lambda'],
  [9, 'infra'],
];

const folder = (path) => `^${path.replace(/[.]/g, '\\.')}/`;
const anyOf = (paths) => `(${paths.map(folder).join('|')})`;

const layerRules = LAYERS.map(([rank, path]) => {
  const notBelow = LAYERS.filter(([other, otherPath]) => other >= rank && otherPath !== path).map(([, otherPath]) => otherPath);
  return {
    name: `layer-${path.replace(/\//g, '-')}`,
    comment: `${path} (rank ${rank}) may import only its own folder and lower ranks, not ${notBelow.join(', ')}`,
    severity: 'error',
    from: { path: folder(path) },
    to: { path: anyOf(notBelow) },
  };
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'kube-not-thanos',
      comment: 'src/kube is generic Kubernetes machinery: the caller composes Thanos analysis of a plan, kube never imports it',
      severity: 'error',
      from: { path: folder('src/kube') },
      to: { path: folder('src/thanos') },
    },
    {
      name: 'ranked-folders-only',
      comment: 'every folder under src has a rank in LAYERS: add the folder there, or move its modules into a ranked one',
      severity: 'error',
      from: { path: anyOf(['src', 'lambda', 'infra']) },
      to: { path: '^src/', pathNot: anyOf(LAYERS.map(([, path]) => path)) },
    },
    {
      name: 'no-circular',
      comment: 'an import cycle makes the order of module initialization, and any layer order, meaningless',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-dist',
      comment: 'dist/ holds the built bundles; code, tests, benchmarks and scripts import the sources (tests run the bundles as programs)',
      severity: 'error',
      from: {},
      to: { path: '^dist/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that resolves to nothing is a typo or a missing dependency',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // dist/ is not cruised, but an import of it is still seen (and refused by not-to-dist).
    doNotFollow: { path: '(^|/)(node_modules|dist)/' },
    exclude: { path: '(^|/)cdk\\.out/' },
    // Our sources import `./x.js` meaning `./x.ts`; the TypeScript config tells the resolver so.
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.mts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
