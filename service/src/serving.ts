// What the routes serve: the loaded model (or why there is none) and the online store.
//
// Loading retries transient failures (S3 or Secrets Manager unreachable or throttled, an IAM
// grant not yet visible, the store's secret not readable yet) with bounded, jittered exponential
// backoff for at most MODEL_LOAD_TIMEOUT_MS. A package that is wrong in itself (bad URI,
// manifest, sha256, artifact) gives up at once: no retry can fix it. Loading never throws; when
// it gives up the Serving has no predictor and liveness fails (see routes/health.ts), so the
// platform replaces the task or pod and a bad rollout is rolled back.
import type { ServiceConfig } from "./config";
import { createFeatureStore } from "./features";
import type { StoreLogger } from "./features/log";
import type { FeatureStore } from "./features/store";
import type { ServiceLogger } from "./log";
import type { ServiceMetrics } from "./metrics";
import { loadModelPackage, ModelPackageError } from "./model/package";
import { Predictor } from "./predictor";

export interface Serving {
  /** Undefined when the model could not be loaded; `problem` says why. */
  predictor?: Predictor;
  store?: FeatureStore;
  /** Why there is no model, fit for any caller: no paths, URIs or hashes. */
  problem?: string;
  /** The full reason (URI, key, hash), for the log and the admin status only. */
  detail?: string;
  /** Where the model came from, for the admin status. */
  modelUri?: string;
}

/** What loading logs: progress, retries, the one line when it gives up, and the stores' warnings. */
export type ServingLog = Pick<ServiceLogger, "info" | "error"> & StoreLogger;

/** What anyone may be told when the model is missing; the log line has the details. */
export const MODEL_NOT_LOADED = "model not loaded: the model package could not be loaded (the service log says why)";

/** First retry after ~250 ms, doubling up to 5 s; "equal jitter" spreads tasks that failed together. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(5_000, 250 * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Transient: worth another attempt. Package errors say so themselves; the store's set-up (secret fetch, S3 Parquet) is network. */
function isTransient(err: unknown, stage: "package" | "store" | "predictor"): boolean {
  if (err instanceof ModelPackageError) return err.transient;
  return stage === "store";
}

export async function loadServing(config: ServiceConfig, metrics: ServiceMetrics, log: ServingLog): Promise<Serving> {
  const started = Date.now();
  const deadline = started + config.modelLoadTimeoutMs;
  for (let attempt = 1; ; attempt++) {
    let store: FeatureStore | undefined;
    let stage: "package" | "store" | "predictor" = "package";
    let storeLoaded: Promise<void> | undefined;
    try {
      // An attempt stops at the deadline too: one hung S3 request must not outlast the budget.
      const pkg = await loadModelPackage(config, AbortSignal.timeout(Math.max(1, deadline - Date.now())));
      // The store and the model session need only the package: loaded side by side.
      let storeFailed = false;
      const loading = createFeatureStore(config, pkg.manifest, { logger: log });
      storeLoaded = loading.then(
        (loaded) => void (store = loaded),
        () => void (storeFailed = true),
      );
      stage = "predictor";
      const predictor = await Predictor.create(pkg, loading, metrics, config).catch(async (err: unknown) => {
        await storeLoaded;
        if (storeFailed) stage = "store";
        throw err;
      });
      store = await loading; // settled: Predictor.create awaited it
      log.info(
        `model ${pkg.manifest.name}@${pkg.manifest.version} loaded from ${pkg.uri} with the ${store.kind} feature store in ${Date.now() - started} ms (attempt ${attempt})`,
      );
      metrics.watch({ predictor, store });
      return { predictor, store, modelUri: config.modelUri };
    } catch (err) {
      await storeLoaded; // a store that loaded although the session did not is closed or kept below
      const message = (err as Error).message;
      const wait = backoffMs(attempt);
      if (isTransient(err, stage) && Date.now() + wait < deadline) {
        log.warn({ attempt, retryInMs: wait }, `model loading failed, retrying: ${message}`);
        await store?.close().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      const detail = `model not loaded: ${message}`;
      const why = isTransient(err, stage) ? ` (gave up after ${attempt} attempts in ${Date.now() - started} ms)` : "";
      log.error(`${detail}${why}`);
      const serving: Serving = { store, problem: MODEL_NOT_LOADED, detail, modelUri: config.modelUri };
      metrics.watch(serving);
      return serving;
    }
  }
}

/**
 * Waits until the store answers, at most until `deadline` (ms since epoch): Lambda's Init uses
 * it so the first invoke does not pay the connection set-up. Resolves whether it answered.
 */
export async function storeAnswers(store: FeatureStore, deadline: number): Promise<boolean> {
  // A client connects within milliseconds: check again soon (10 ms, doubling to 1 s), not after a
  // model-loading backoff, and once more at the deadline.
  for (let wait = 10; ; wait = Math.min(wait * 2, 1000)) {
    if (await store.ready()) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(wait, left)));
  }
}

export async function closeServing(serving: Serving): Promise<void> {
  await serving.predictor?.close();
  await serving.store?.close();
}
