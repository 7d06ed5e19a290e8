// One prediction, end to end: online features → preprocess → infer → postprocess, every stage
// timed. Transport-free: the REST routes and the Lambda entry both go through here.
import type { EntityKey, FeatureQuery, FeatureStore, FeatureVector } from "./features/store";
import { FeatureStoreUnavailableError } from "./features/store";
import type { Manifest } from "./model/manifest";
import type { ModelPackage } from "./model/package";
import { Preprocessor, type RequestFeatures } from "./model/preprocess";
import { ModelSession, type SessionOptions } from "./model/session";
import type { Protocol, ServiceMetrics } from "./metrics";
import type * as ort from "onnxruntime-node";
import type { ModelOutputs } from "./model/session";

export interface Instance {
  entity: EntityKey;
  features: RequestFeatures;
}

export interface Prediction {
  label: string;
  /** Label → probability. */
  probabilities: Record<string, number>;
  /** Features that took the manifest's default (missing in the request or the store). */
  defaulted: string[];
}

/** The online store could not answer and the manifest does not allow serving defaults. */
export class StoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreUnavailableError";
  }
}

export class Predictor {
  private readonly entityKeyTypes: FeatureQuery["entityKeyTypes"];

  private constructor(
    readonly manifest: Manifest,
    readonly preprocessor: Preprocessor,
    readonly session: ModelSession,
    private readonly store: FeatureStore,
    private readonly metrics: ServiceMetrics,
    private readonly featureTimeoutMs: number,
  ) {
    this.entityKeyTypes = Object.fromEntries(manifest.entities.map((e) => [e.name, e.dtype]));
  }

  /**
   * The model session is created while the store still loads (given as a promise: its connection
   * or its offline file read overlap the session's creation). When one fails, the other is released.
   */
  static async create(
    pkg: ModelPackage,
    store: FeatureStore | Promise<FeatureStore>,
    metrics: ServiceMetrics,
    options: SessionOptions & { featureTimeoutMs: number },
  ): Promise<Predictor> {
    const preprocessor = new Preprocessor(pkg.manifest);
    const [session, loaded] = await Promise.allSettled([
      ModelSession.create(pkg.artifact, pkg.manifest, preprocessor.width, options),
      store,
    ]);
    if (session.status === "rejected") throw session.reason;
    if (loaded.status === "rejected") {
      await session.value.release();
      throw loaded.reason;
    }
    return new Predictor(pkg.manifest, preprocessor, session.value, loaded.value, metrics, options.featureTimeoutMs);
  }

  get name(): string {
    return this.manifest.name;
  }

  get version(): string {
    return this.manifest.version;
  }

  async predict(instances: Instance[], protocol: Protocol = "rest"): Promise<Prediction[]> {
    const model = this.manifest.name;
    const started = performance.now();
    const online = await this.fetchOnline(instances);
    this.metrics.observe("features", model, started, protocol);

    const preprocessStarted = performance.now();
    const width = this.preprocessor.width;
    const rows = new Float32Array(instances.length * width);
    const defaulted = instances.map((instance, i) => this.preprocessor.encode(rows, i, instance.features, online?.[i]));
    this.metrics.observe("preprocess", model, preprocessStarted, protocol);

    const inferStarted = performance.now();
    const probabilities = await this.session.predict(rows, instances.length);
    this.metrics.observe("infer", model, inferStarted, protocol);

    const labels = this.manifest.postprocess.labels;
    const predictions = instances.map((_, i) => {
      const byLabel: Record<string, number> = {};
      let best = 0;
      for (let c = 0; c < labels.length; c++) {
        const p = probabilities[i * labels.length + c];
        byLabel[labels[c]] = p;
        if (p > probabilities[i * labels.length + best]) best = c;
      }
      return { label: labels[best], probabilities: byLabel, defaulted: defaulted[i] };
    });
    this.metrics.observe("total", model, started, protocol);
    this.metrics.predicted(model, instances.length);
    return predictions;
  }

  /**
   * Runs the model on an already-encoded input tensor (Open Inference Protocol, KServe V1 tensor
   * instances): no features, no preprocessing, the same session and metrics as predict().
   */
  async infer(input: ort.Tensor, protocol: Protocol): Promise<ModelOutputs> {
    const started = performance.now();
    // The model's encoded rows share runs with concurrent requests, as predict()'s do.
    const rows = input.type === "float32" && input.dims.length === 2 && input.dims[1] === this.preprocessor.width;
    const outputs = rows
      ? await this.session.infer(input.data as Float32Array, input.dims[0])
      : await this.session.run({ [this.manifest.input.name]: input });
    this.metrics.observe("infer", this.manifest.name, started, protocol);
    this.metrics.observe("total", this.manifest.name, started, protocol);
    this.metrics.predicted(this.manifest.name, input.dims[0] ?? 1);
    return outputs;
  }

  private async fetchOnline(instances: Instance[]): Promise<FeatureVector[] | undefined> {
    const refs = this.preprocessor.onlineRefs;
    if (refs.length === 0) return undefined;
    try {
      return await this.store.get({
        entityKeyTypes: this.entityKeyTypes,
        entities: instances.map((i) => i.entity),
        refs,
        ttlSeconds: this.preprocessor.ttlSeconds,
        deadline: Date.now() + this.featureTimeoutMs,
      });
    } catch (err) {
      if (!(err instanceof FeatureStoreUnavailableError)) throw err;
      if (this.manifest.onStoreUnavailable === "defaults") {
        this.metrics.error("store_fallback");
        return undefined;
      }
      throw new StoreUnavailableError(`online feature store unavailable: ${err.message}`);
    }
  }

  close(): Promise<void> {
    return this.session.release();
  }
}
