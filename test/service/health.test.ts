// Liveness, readiness and the health gauges, in process: what each says for a loaded model, a
// store outage (with and without the manifest's defaults), and a model that gave up loading.
import { buildApp } from "../../service/src/app";
import { HEALTH_PATH, READY_PATH } from "../../service/src/config";
import { FeatureStoreUnavailableError, type FeatureStore } from "../../service/src/features/store";
import { ServiceMetrics } from "../../service/src/metrics";
import type { ModelPackage } from "../../service/src/model/package";
import { Predictor } from "../../service/src/predictor";
import { backoffMs, loadServing, MODEL_NOT_LOADED, storeAnswers } from "../../service/src/serving";
import { examplePackage, goldenStore, testConfig } from "./fixtures";

process.env.AWS_ACCESS_KEY_ID ??= "test";
process.env.AWS_SECRET_ACCESS_KEY ??= "test";

let up = true;
const flaky = (pkg: ModelPackage): FeatureStore => {
  const inner = goldenStore(pkg);
  return {
    kind: "flaky",
    get: async (q) => {
      if (!up) throw new FeatureStoreUnavailableError("connection refused");
      return inner.get(q);
    },
    ready: async () => up,
    close: async () => {},
  };
};

async function appWith(onStoreUnavailable: "defaults" | "fail") {
  const base = await examplePackage();
  const pkg = { ...base, manifest: { ...base.manifest, onStoreUnavailable } };
  const store = flaky(pkg);
  const metrics = new ServiceMetrics({ defaultMetrics: false });
  const predictor = await Predictor.create(pkg, store, metrics, testConfig());
  metrics.watch({ predictor, store });
  const app = await buildApp({ config: testConfig(), serving: { predictor, store }, metrics });
  return { app, metrics, close: async () => { await app.close(); await predictor.close(); } };
}

afterEach(() => {
  up = true;
});

describe("a feature-store outage", () => {
  it("never fails liveness, keeps a defaults-serving service ready, and shows in /readyz's body and the gauge", async () => {
    const { app, metrics, close } = await appWith("defaults");
    expect(await metrics.registry.getSingleMetricAsString("inference_feature_store_up")).toMatch(/inference_feature_store_up\{store="flaky"\} 1/);
    up = false;
    expect((await app.inject(HEALTH_PATH)).statusCode).toBe(200);
    const ready = await app.inject(READY_PATH);
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: "ready", store: { kind: "flaky", up: false } });
    expect(await metrics.registry.getSingleMetricAsString("inference_feature_store_up")).toMatch(/inference_feature_store_up\{store="flaky"\} 0/);
    expect(await metrics.registry.getSingleMetricAsString("inference_model_loaded")).toMatch(/inference_model_loaded 1/);
    await close();
  });

  it("takes a service whose manifest says fail out of readiness, but not out of liveness", async () => {
    const { app, close } = await appWith("fail");
    up = false;
    expect((await app.inject(HEALTH_PATH)).statusCode).toBe(200);
    const ready = await app.inject(READY_PATH);
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ status: "not ready", reason: "flaky feature store is not answering", store: { kind: "flaky", up: false } });
    up = true;
    expect((await app.inject(READY_PATH)).statusCode).toBe(200);
    await close();
  });
});

describe("waiting for the store (Lambda's Init)", () => {
  afterEach(() => jest.useRealTimers());
  const storeReady = (ready: () => Promise<boolean>): FeatureStore => ({ kind: "connecting", get: async () => [], ready, close: async () => {} });

  // A client connects within milliseconds of its creation: Init must end then, not a whole
  // model-loading backoff (125-250 ms) later.
  it("sees a store that answers 30 ms after the first check within 60 ms", async () => {
    jest.useFakeTimers();
    const readyAt = Date.now() + 30;
    const store = storeReady(async () => Date.now() >= readyAt);
    let answered: boolean | undefined;
    void storeAnswers(store, Date.now() + 60_000).then((ok) => (answered = ok));
    await jest.advanceTimersByTimeAsync(60);
    expect(answered).toBe(true);
  });

  it("keeps checking until the deadline, then says the store does not answer", async () => {
    jest.useFakeTimers();
    let checks = 0;
    const store = storeReady(async () => (checks++, false));
    let answered: boolean | undefined;
    void storeAnswers(store, Date.now() + 10_000).then((ok) => (answered = ok));
    await jest.advanceTimersByTimeAsync(9_000);
    expect(answered).toBeUndefined();
    await jest.advanceTimersByTimeAsync(2_000);
    expect(answered).toBe(false);
    expect(checks).toBeGreaterThan(5);
  });
});

describe("model loading", () => {
  it("backs off exponentially with jitter, capped at 5 s", () => {
    expect([1, 2, 3, 4, 5, 6, 10].map((n) => backoffMs(n, () => 1))).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
    expect(backoffMs(3, () => 0)).toBe(500);
  });

  it("gives up at once on a missing S3 bucket (a bad URI), without retrying", async () => {
    const endpoint = process.env.TEST_S3_ENDPOINT;
    if (!endpoint) throw new Error("TEST_S3_ENDPOINT is not set: the jest global setup starts the S3 test server");
    const lines: string[] = [];
    const log = { info: (m: string) => lines.push(m), error: (m: string) => lines.push(`ERROR ${m}`), warn: (_d: object, m: string) => lines.push(`WARN ${m}`) };
    const config = testConfig({ modelUri: "s3://no-such-bucket-9a/models/x/", s3Endpoint: endpoint, s3ForcePathStyle: true, awsRegion: "us-east-1", modelLoadTimeoutMs: 30_000 });
    const started = Date.now();
    const serving = await loadServing(config, new ServiceMetrics({ defaultMetrics: false }), log);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(serving.predictor).toBeUndefined();
    expect(serving.problem).toBe(MODEL_NOT_LOADED);
    expect(lines).toEqual([expect.stringMatching(/^ERROR model not loaded: s3:\/\/no-such-bucket-9a\/models\/x\/manifest.json: cannot download: NoSuchBucket/)]);
  });
});
