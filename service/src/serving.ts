// What the routes serve: the loaded model (or why there is none) and the online store.
// Loading never throws: a bad URI, manifest or artifact leaves a service that is alive but not
// ready, with one clear log line instead of a crash loop.
import type { ServiceConfig } from "./config";
import { createFeatureStore } from "./features";
import type { StoreLogger } from "./features/log";
import type { FeatureStore } from "./features/store";
import type { ServiceLogger } from "./log";
import type { ServiceMetrics } from "./metrics";
import { loadModelPackage } from "./model/package";
import { Predictor } from "./predictor";

export interface Serving {
  /** Undefined when the model could not be loaded; `problem` says why. */
  predictor?: Predictor;
  store?: FeatureStore;
  problem?: string;
}

/** What loading logs: progress, the one line when it fails, and the stores' warnings. */
export type ServingLog = Pick<ServiceLogger, "info" | "error"> & StoreLogger;

export async function loadServing(config: ServiceConfig, metrics: ServiceMetrics, log: ServingLog): Promise<Serving> {
  const started = Date.now();
  let store: FeatureStore | undefined;
  let loading: Promise<FeatureStore> | undefined;
  try {
    const pkg = await loadModelPackage(config);
    // The store and the model session need only the package: loaded side by side.
    loading = createFeatureStore(config, pkg.manifest, { logger: log });
    loading.catch(() => undefined); // its failure is reported through Predictor.create
    const predictor = await Predictor.create(pkg, loading, metrics, config);
    store = await loading;
    log.info(
      `model ${pkg.manifest.name}@${pkg.manifest.version} loaded from ${pkg.uri} with the ${store.kind} feature store in ${Date.now() - started} ms`,
    );
    return { predictor, store };
  } catch (err) {
    const problem = `model not loaded: ${(err as Error).message}`;
    // A store that loaded although the session did not stays with the service (readiness, closing).
    store = await loading?.catch(() => undefined);
    log.error(problem);
    return { store, problem };
  }
}

export async function closeServing(serving: Serving): Promise<void> {
  await serving.predictor?.close();
  await serving.store?.close();
}
