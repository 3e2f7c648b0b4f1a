// The reconciler Lambda's entry point (bundled to dist/lambda/index.mjs, handler `index.handler`). Thin on purpose.
// The environment is parsed once, at cold start; a misconfigured function keeps the error and answers every
// invocation with the variable to fix instead of failing its initialisation.
import type { Context } from 'aws-lambda';
import { loadConfig, type ReconcilerConfig } from './config.js';
import type { ReconcilerResult } from '../src/reconciler/result.js';
import { handleInvocation } from './reconciler.js';

function configOrError(): ReconcilerConfig | Error {
  try {
    return loadConfig(process.env);
  } catch (error) {
    return error as Error;
  }
}

const config = configOrError();

export async function handler(event: unknown, context?: Context): Promise<ReconcilerResult> {
  const outcome = await handleInvocation(event, config, {}, context);
  // The summary line of the invocation (progress lines came before it), written past the runtime's console wrapper
  // (as Powertools does), so each line stays a top-level JSON record with either log format and CloudWatch reads
  // its EMF metric.
  process.stdout.write(`${outcome.logLine}\n`);
  if (outcome.error) {
    // The runtime reports a thrown error as the invocation's FunctionError with errorType/errorMessage.
    const reported = new Error(outcome.error.message);
    reported.name = outcome.error.name;
    reported.stack = `${reported.name}: ${reported.message}`;
    throw reported;
  }
  return outcome.result as ReconcilerResult;
}
