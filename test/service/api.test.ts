// The REST API as a client sees it: the friendly predict route, the Open Inference Protocol v2,
// health, metrics and OpenAPI; every malformed request gets a 4xx naming the field.
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../service/src/app";
import { HEALTH_PATH, READY_PATH } from "../../service/src/config";
import { FeatureStoreUnavailableError, type FeatureStore } from "../../service/src/features/store";
import { ServiceMetrics } from "../../service/src/metrics";
import type { ModelPackage } from "../../service/src/model/package";
import { Predictor } from "../../service/src/predictor";
import { examplePackage, golden, goldenStore, testConfig } from "./fixtures";

const PREDICT = "/v1/models/fraud:predict";
const known = golden.cases.find((c) => Object.keys(c.online).length > 0)!;
const body = { entity: known.entity, features: known.request };

interface TestApp {
  app: FastifyInstance;
  metrics: ServiceMetrics;
  close(): Promise<void>;
}

async function appFor(pkg: ModelPackage, store: FeatureStore, overrides = {}): Promise<TestApp> {
  const metrics = new ServiceMetrics({ defaultMetrics: false });
  const predictor = await Predictor.create(pkg, store, metrics, testConfig());
  const app = await buildApp({ config: testConfig(overrides), serving: { predictor, store }, metrics });
  return { app, metrics, close: async () => { await app.close(); await predictor.close(); } };
}

let pkg: ModelPackage;
let app: FastifyInstance;
let testApp: TestApp;

beforeAll(async () => {
  pkg = await examplePackage();
  testApp = await appFor(pkg, goldenStore(pkg), { bodyLimitBytes: 64 * 1024 });
  app = testApp.app;
});
afterAll(() => testApp.close());

const post = (url: string, payload: unknown) => app.inject({ method: "POST", url, payload: payload as object });

describe("POST /v1/models/{name}:predict", () => {
  it("scores one entity with its online features and returns label, probabilities and model", async () => {
    const res = await post(PREDICT, body);
    expect(res.statusCode).toBe(200);
    const out = res.json();
    expect(out.model).toEqual({ name: "fraud", version: "1" });
    expect(out.label).toBe(known.expected.label);
    expect(out.probabilities.legit + out.probabilities.fraud).toBeCloseTo(1, 5);
    expect(out.probabilities.fraud).toBeCloseTo(known.expected.probabilities[1], 5);
    expect(out.defaulted).toEqual([]);
  });

  it("scores a batch of instances in order", async () => {
    const cases = golden.cases.slice(0, 5);
    const res = await post(PREDICT, { instances: cases.map((c) => ({ entity: c.entity, features: c.request })) });
    expect(res.statusCode).toBe(200);
    expect(res.json().predictions.map((p: { label: string }) => p.label)).toEqual(cases.map((c) => c.expected.label));
  });

  it("serves an unknown entity from the manifest's defaults and says which features were defaulted", async () => {
    const res = await post(PREDICT, { entity: { user_id: 987654321 }, features: { amount: 10, merchant_category: "grocery" } });
    expect(res.statusCode).toBe(200);
    const onlineNames = pkg.manifest.features.filter((f) => f.source.kind === "online").map((f) => f.name);
    expect(res.json().defaulted).toEqual(expect.arrayContaining([...onlineNames, "hour", "channel"]));
  });

  it("accepts null for an optional feature and uses its default", async () => {
    const res = await post(PREDICT, { entity: known.entity, features: { ...known.request, hour: null } });
    expect(res.statusCode).toBe(200);
    expect(res.json().defaulted).toEqual(["hour"]);
  });

  it.each([
    ["a string where a number belongs", { ...body, features: { ...body.features, amount: "12a" } }, "features.amount", /expected number, got string "12a"/],
    ["a missing required feature", { ...body, features: { merchant_category: "grocery" } }, "features.amount", /required field is missing/],
    ["an unknown feature", { ...body, features: { ...body.features, velocity: 3 } }, "features.velocity", /unknown field; expected one of amount, merchant_category/],
    ["an unknown top-level field", { ...body, extra: 1 }, "extra", /unknown field/],
    ["a missing entity", { features: body.features }, "entity", /entity: required/],
    ["a wrong join key", { entity: { driver_id: 1 }, features: body.features }, "entity.user_id", /entity.user_id: required field is missing/],
    ["a float entity id", { entity: { user_id: 1.5 }, features: body.features }, "entity.user_id", /user_id/],
    ["a missing features object", { entity: body.entity }, "features", /features: required field is missing; expected amount, merchant_category/],
    ["both forms at once", { ...body, instances: [body] }, "instances", /either entity and features, or instances/],
    ["a number beyond float32 once standardized", { ...body, features: { ...body.features, amount: 1e300 } }, "features.amount", /out of range/],
    ["an empty batch", { instances: [] }, "instances", /instances/],
    ["a wrong type inside a batch", { instances: [body, { ...body, features: { ...body.features, hour: "noon" } }] }, "instances[1].features.hour", /instances\[1\]\.features\.hour/],
  ])("rejects %s with 400 naming the field", async (_name, payload, field, message) => {
    const res = await post(PREDICT, payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe(field);
    expect(res.json().error).toMatch(message);
  });

  it("rejects a batch over 1000 instances", async () => {
    const res = await post(PREDICT, { instances: Array.from({ length: 1001 }, () => body) });
    expect([400, 413]).toContain(res.statusCode);
    expect(res.json().error).toMatch(/instances|limit/);
  });

  it("answers 400 on invalid JSON, 415 on another content type, 413 over the body limit", async () => {
    const bad = await app.inject({ method: "POST", url: PREDICT, headers: { "content-type": "application/json" }, payload: '{"entity": ' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/invalid JSON body/);
    const text = await app.inject({ method: "POST", url: PREDICT, headers: { "content-type": "text/plain" }, payload: "hi" });
    expect(text.statusCode).toBe(415);
    expect(text.json().error).toMatch(/expected application\/json/);
    const big = await app.inject({ method: "POST", url: PREDICT, headers: { "content-type": "application/json" }, payload: JSON.stringify({ pad: "x".repeat(70 * 1024) }) });
    expect(big.statusCode).toBe(413);
    expect(big.json().error).toMatch(/larger than the limit of 65536 bytes/);
  });

  it("answers 404 for a model it does not serve, and for unknown routes", async () => {
    const res = await post("/v1/models/churn:predict", body);
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toBe('model "churn" not found; this service serves "fraud"');
    const route = await app.inject({ method: "GET", url: "/v1/nothing" });
    expect(route.statusCode).toBe(404);
    expect(route.json().error).toMatch(/no route GET \/v1\/nothing/);
  });

  it("never answers 5xx to malformed bodies", async () => {
    const payloads: unknown[] = [null, 1, "x", [], [body], { entity: null }, { entity: [] }, { entity: { user_id: {} } },
      { instances: {} }, { instances: [null] }, { instances: [[1]] }, { entity: body.entity, features: [] },
      { entity: body.entity, features: { ...body.features, amount: Number.MAX_VALUE } },
      { entity: { user_id: "99999999999999999999999" }, features: body.features },
      { entity: body.entity, features: { ...body.features, merchant_category: "x".repeat(5000) } }];
    for (const payload of payloads) {
      const res = await app.inject({ method: "POST", url: PREDICT, headers: { "content-type": "application/json" }, payload: JSON.stringify(payload) });
      expect({ payload, status: res.statusCode < 500 ? "ok" : res.body }).toEqual({ payload, status: "ok" });
      expect(typeof res.json().error === "string" || res.statusCode === 200).toBe(true);
    }
  });
});

describe("Open Inference Protocol v2", () => {
  const row = (n: number) => Array.from({ length: n * 30 }, (_, i) => (i % 7) / 7);
  const infer = (payload: unknown, url = "/v2/models/fraud/infer") => post(url, payload);

  it("reports server and model metadata, liveness and readiness", async () => {
    expect((await app.inject("/v2")).json()).toMatchObject({ name: "inference-blueprint" });
    expect((await app.inject("/v2/health/live")).statusCode).toBe(200);
    expect((await app.inject("/v2/health/ready")).json()).toEqual({ ready: true });
    const meta = (await app.inject("/v2/models/fraud")).json();
    expect(meta).toEqual({
      name: "fraud",
      versions: ["1"],
      platform: "onnxruntime_onnx",
      inputs: [{ name: "input", datatype: "FP32", shape: [-1, 30] }],
      outputs: [{ name: "label", datatype: "INT64", shape: [-1] }, { name: "probabilities", datatype: "FP32", shape: [-1, 2] }],
    });
    expect((await app.inject("/v2/models/fraud/versions/1/ready")).json()).toEqual({ name: "fraud", ready: true });
    expect((await app.inject("/v2/models/fraud/versions/7")).statusCode).toBe(404);
  });

  it("runs raw tensors, flat or nested, and returns the requested outputs", async () => {
    const flat = await infer({ id: "r1", inputs: [{ name: "input", shape: [2, 30], datatype: "FP32", data: row(2) }] });
    expect(flat.statusCode).toBe(200);
    const out = flat.json();
    expect(out).toMatchObject({ model_name: "fraud", model_version: "1", id: "r1" });
    const probs = out.outputs.find((o: { name: string }) => o.name === "probabilities");
    expect(probs).toMatchObject({ datatype: "FP32", shape: [2, 2] });
    expect(probs.data[0] + probs.data[1]).toBeCloseTo(1, 5);
    const nested = await infer({
      inputs: [{ name: "input", shape: [2, 30], datatype: "FP32", data: [row(1), row(1)] }],
      outputs: [{ name: "label" }],
    }, "/v2/models/fraud/versions/1/infer");
    expect(nested.statusCode).toBe(200);
    expect(nested.json().outputs).toEqual([{ name: "label", datatype: "INT64", shape: [2], data: expect.any(Array) }]);
  });

  it.each([
    ["a wrong shape", { inputs: [{ name: "input", shape: [1, 29], datatype: "FP32", data: row(1).slice(1) }] }, /shape \[1,29\]: expected \[N,30\]/],
    ["a wrong datatype", { inputs: [{ name: "input", shape: [1, 30], datatype: "FP64", data: row(1) }] }, /datatype "FP64": expected "FP32"/],
    ["an unknown datatype", { inputs: [{ name: "input", shape: [1, 30], datatype: "FLOAT", data: row(1) }] }, /datatype/],
    ["an unknown input", { inputs: [{ name: "x", shape: [1, 30], datatype: "FP32", data: row(1) }] }, /only input is "input"/],
    ["too little data", { inputs: [{ name: "input", shape: [2, 30], datatype: "FP32", data: row(1) }] }, /has 30 elements but shape \[2,30\] needs 60/],
    ["non-numeric data", { inputs: [{ name: "input", shape: [1, 30], datatype: "FP32", data: [...row(1).slice(1), "a"] }] }, /expected numbers, got "a"/],
    ["an unknown output", { inputs: [{ name: "input", shape: [1, 30], datatype: "FP32", data: row(1) }], outputs: [{ name: "logits" }] }, /"logits" is not an output/],
    ["no inputs", { inputs: [] }, /inputs/],
  ])("rejects %s with 400 and { error }", async (_name, payload, message) => {
    const res = await infer(payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(message);
  });
});

describe("health, metrics and OpenAPI", () => {
  it("answers liveness and readiness on the contract's paths", async () => {
    expect((await app.inject(HEALTH_PATH)).statusCode).toBe(200);
    expect((await app.inject(READY_PATH)).json()).toEqual({ status: "ready", store: { kind: "embedded", up: true } });
  });

  it("exports per-stage histograms and error counters by kind", async () => {
    await post(PREDICT, body);
    await post("/v1/models/churn:predict", body);
    const text = (await app.inject("/metrics")).body;
    for (const stage of ["features", "preprocess", "infer", "total"]) {
      expect(text).toMatch(new RegExp(`inference_stage_duration_seconds_count\\{stage="${stage}",model="fraud"\\} [1-9]`));
    }
    expect(text).toMatch(/inference_errors_total\{kind="not_found"\} [1-9]/);
    expect(text).toMatch(/inference_errors_total\{kind="bad_request"\} [1-9]/);
  });

  it("publishes an OpenAPI document generated from the route schemas", async () => {
    const doc = (await app.inject("/openapi.json")).json();
    expect(doc.openapi).toMatch(/^3\./);
    const predict = doc.paths["/v1/models/{name}:predict"].post;
    const schema = predict.requestBody.content["application/json"].schema;
    expect(Object.keys(schema.properties.features.properties)).toEqual(["amount", "merchant_category", "hour", "is_international", "channel"]);
    expect(doc.paths["/v2/models/{name}/infer"]).toBeDefined();
  });
});

describe("when the online store is down", () => {
  const downStore: FeatureStore = {
    kind: "down",
    get: async () => {
      throw new FeatureStoreUnavailableError("connection refused");
    },
    ready: async () => false,
    close: async () => {},
  };

  it("serves defaults when the manifest allows it, and stays ready with the store's health in the body", async () => {
    const { app: degraded, metrics, close } = await appFor(pkg, downStore);
    const res = await degraded.inject({ method: "POST", url: PREDICT, payload: body });
    expect(res.statusCode).toBe(200);
    expect(res.json().defaulted).toContain("txn_count_1h");
    const ready = await degraded.inject(READY_PATH);
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: "ready", store: { kind: "down", up: false } });
    expect(await metrics.registry.getSingleMetricAsString("inference_errors_total")).toMatch(/kind="store_fallback"\} 1/);
    await close();
  });

  it("treats a stored value beyond float32 as missing instead of blaming the request", async () => {
    const huge: FeatureStore = {
      kind: "huge",
      get: async (q) => q.entities.map(() => ({
        values: q.refs.map((r) => (r.feature === "amount_sum_24h" ? 1e300 : null)),
        statuses: q.refs.map((r) => (r.feature === "amount_sum_24h" ? "PRESENT" : "NOT_FOUND")),
        eventTimestamps: q.refs.map(() => null),
      })),
      ready: async () => true,
      close: async () => {},
    };
    const { app: withHuge, close } = await appFor(pkg, huge);
    const res = await withHuge.inject({ method: "POST", url: PREDICT, payload: body });
    expect(res.statusCode).toBe(200);
    expect(res.json().defaulted).toContain("amount_sum_24h");
    await close();
  });

  it("fails fast with 503 when the manifest says fail", async () => {
    const strict = { ...pkg, manifest: { ...pkg.manifest, onStoreUnavailable: "fail" as const } };
    const { app: failing, close } = await appFor(strict, downStore);
    const res = await failing.inject({ method: "POST", url: PREDICT, payload: body });
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toMatch(/online feature store unavailable: connection refused/);
    await close();
  });
});
