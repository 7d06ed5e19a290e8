// The Lambda entry: `dist/lambda.handler` resolves to this module bundled as `dist/lambda.mjs`.
// An ES module, because Lambda's Node runtime waits for a top-level `await` before it ends Init
// (see lambda-handler.ts). If it rejects, Init fails and nothing is cached: Lambda logs the
// error once and runs a fresh Init on the next invoke.
import { initLambda } from "./lambda-handler.js";

export const handler = await initLambda();
