// The REST API as a client sees it: the friendly predict route, the Open Inference Protocol v2,
// health, metrics and OpenAPI; every malformed request gets a 4xx naming the field.
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../service/src/app";
import { HEALTH_PATH, READY_PATH } from "../../service/src/config";
import { FeatureStoreUnavailableError, type FeatureStore } from "../../service/src/features/store";
import { ServiceMetrics } from "../../service/src/metrics";
import type { ModelPackage } from "../../service/src/model/package";
import { Predictor } from "../../service/src/predictor";
import { examplePackage, golden, goldenStore, PREDICT_PATH as PREDICT, testConfig } from "./fixtures";

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
  metrics.watch({ predictor, store }); // as loadServing does
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

describe("route schemas compiled on first use", () => {
  it("give a route's first malformed request the same 400 as every later one", async () => {
    // A fresh app: its OIP and feature-server routes compile their validators on first use.
    const fresh = await appFor(pkg, goldenStore(pkg));
    try {
      const requests = [
        { url: "/v2/models/fraud/infer", payload: { inputs: "rows" } },
        { url: "/get-online-features", payload: { features: ["user_stats:txn_count_7d"], entities: "user 7" } },
        { url: PREDICT, payload: { entity: { user_id: "seven" } } },
      ];
      for (const { url, payload } of requests) {
        const first = await fresh.app.inject({ method: "POST", url, payload });
        const again = await fresh.app.inject({ method: "POST", url, payload });
        expect({ url, status: first.statusCode }).toEqual({ url, status: 400 });
        expect(first.json()).toEqual(again.json());
        expect(first.json().error).toMatch(/must be|expected/);
      }
    } finally {
      await fresh.close();
    }
  });
});

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

describe("input the service refuses, in its one error shape", () => {
  const raw = (method: "POST" | "GET", url: string, payload?: string, headers: Record<string, string> = {}) =>
    app.inject({ method, url, payload, headers });

  it.each([PREDICT, "/get-online-features"])("answers 400 to POST %s with no body and no content type", async (url) => {
    const res = await app.inject({ method: "POST", url });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: "request body is missing: expected a JSON object (content-type: application/json)" });
  });

  it("parses a body sent without a content type as JSON", async () => {
    const res = await raw("POST", PREDICT, JSON.stringify(body));
    expect(res.statusCode).toBe(200);
    expect(res.json().label).toBe(known.expected.label);
  });

  it("names __proto__ as the refused key instead of calling the JSON invalid", async () => {
    const res = await raw("POST", PREDICT, '{"entity": {"__proto__": {"x": 1}, "user_id": 102}, "features": {"amount": 1, "merchant_category": "grocery"}}', {
      "content-type": "application/json",
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(/the key "__proto__" is not accepted anywhere in a body/);
  });

  it.each([
    ["user_id 1e30", { entity: { user_id: 1e30 } }, "entity.user_id", /expected at most 9007199254740991, got number 1e\+30.*decimal strings/],
    ["user_id \"9999999999999999999\"", { entity: { user_id: "9999999999999999999" } }, "entity.user_id", /expected an int64 \(an integer from -9223372036854775808 to 9223372036854775807/],
    ["user_id \"-9223372036854775809\"", { entity: { user_id: "-9223372036854775809" } }, "entity.user_id", /expected an int64/],
    ["hour 2147483648 (int32)", { features: { ...body.features, hour: 2147483648 } }, "features.hour", /features.hour: expected at most 2147483647, got number 2147483648/],
    ["a batch row with user_id \"9999999999999999999\"", { instances: [body, { ...body, entity: { user_id: "9999999999999999999" } }] }, "instances[1].entity.user_id", /expected an int64/],
  ])("refuses %s: a value outside the declared dtype is a 400, not a default", async (_name, change, field, message) => {
    const payload = "instances" in change ? change : { ...body, ...change };
    const res = await post(PREDICT, payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe(field);
    expect(res.json().error).toMatch(message);
  });

  it("still takes an int64 id beyond 2^53 written as a decimal string", async () => {
    const res = await post(PREDICT, { ...body, entity: { user_id: "9223372036854775807" } });
    expect(res.statusCode).toBe(200);
  });

  it("refuses 9223372036854775808 written as a JSON number (it would round to 2^63)", async () => {
    const text = JSON.stringify(body).replace(`"user_id":${known.entity.user_id}`, '"user_id":9223372036854775808');
    const res = await raw("POST", PREDICT, text, { "content-type": "application/json" });
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe("entity.user_id");
  });

  it("answers a KServe V1 tensor row of the wrong width with 400 as JSON (content type included)", async () => {
    const res = await post(PREDICT, { instances: [[]] });
    expect(res.statusCode).toBe(400);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.json().field).toBe("instances[0]");
  });

  it("truncates an echoed field name: a 900 KB unknown field gives a short error", async () => {
    const name = "f".repeat(900 * 1024);
    const big = await appFor(pkg, goldenStore(pkg), { bodyLimitBytes: 2 * 1024 * 1024 });
    try {
      const res = await big.app.inject({ method: "POST", url: PREDICT, payload: { ...body, [name]: 1 } });
      expect(res.statusCode).toBe(400);
      expect(res.body.length).toBeLessThan(1000);
      expect(res.json().error).toMatch(/^f{64}…\(921600 characters\): unknown field; expected one of entity, features, instances$/);
    } finally {
      await big.close();
    }
  });

  it("answers 405 with Allow when the path exists for another method, 404 otherwise", async () => {
    const wrong = await app.inject({ method: "GET", url: PREDICT });
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.allow).toBe("POST");
    expect(wrong.json()).toEqual({ error: "method GET is not allowed on /v1/models/fraud:predict; expected POST" });
    const unknown = await app.inject({ method: "DELETE", url: "/nowhere?x=1" });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: "no route DELETE /nowhere; see /openapi.json" });
  });

  it("answers 414 in the service's shape when a path parameter is over 100 characters", async () => {
    const res = await app.inject({ method: "POST", url: `/v1/models/${"m".repeat(101)}:predict`, payload: body });
    expect(res.statusCode).toBe(414);
    expect(res.json()).toEqual({ error: "URL path parameter is too long: at most 100 characters" });
  });

  it("refuses a get-online-features request over entities × features with 400 saying how to split it", async () => {
    const refs = pkg.manifest.features.flatMap((f) => (f.source.kind === "online" ? [`${f.source.view}:${f.source.feature}`] : []));
    const ids = Array.from({ length: 1000 }, (_, i) => i);
    const res = await post("/get-online-features", { features: refs, entities: { user_id: ids } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: `1000 entities × ${refs.length} features = ${1000 * refs.length} values: at most 10000 per request; split the entities over several requests`,
      field: "entities",
    });
    const fewer = await post("/get-online-features", { features: refs, entities: { user_id: ids.slice(0, 900) } });
    expect(fewer.statusCode).toBe(200);
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
      expect(text).toMatch(new RegExp(`inference_stage_duration_seconds_count\\{stage="${stage}",model="fraud",protocol="rest"\\} [1-9]`));
    }
    expect(text).toMatch(/inference_errors_total\{kind="not_found"\} [1-9]/);
    expect(text).toMatch(/inference_errors_total\{kind="bad_request"\} [1-9]/);
  });

  it("counts the micro-batcher's model runs and the rows they took", async () => {
    const counter = async (name: string) => {
      const m = new RegExp(`^${name}\\{model="fraud"\\} (\\d+)$`, "m").exec((await app.inject("/metrics")).body);
      return m ? Number(m[1]) : undefined;
    };
    const [runs, rows] = [await counter("inference_model_runs_total"), await counter("inference_batched_rows_total")];
    expect(runs).toBeDefined();
    // Three concurrent single predictions and a batch of two: rows 5 more, runs 1 to 4 more.
    await Promise.all([post(PREDICT, body), post(PREDICT, body), post(PREDICT, body), post(PREDICT, { instances: [body, body] })]);
    expect((await counter("inference_batched_rows_total"))! - rows!).toBe(5);
    const more = (await counter("inference_model_runs_total"))! - runs!;
    expect(more).toBeGreaterThanOrEqual(1);
    expect(more).toBeLessThanOrEqual(4);
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
