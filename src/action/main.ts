// Entry point of the GitHub Action (bundled to dist/action/index.js; the runner runs it with Node 24).
import { run, runnerDeps } from './run.js';

await run(runnerDeps());
