// Open Inference Protocol v2 over REST as Triton's and KServe's clients speak it: JSON with or
// without a content type, the binary tensor extension both ways, request ids, output filters, and
// a 4xx naming the field for every malformed request. Also KServe V1 tensor rows on /v1.
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../service/src/app";
import { ServiceMetrics } from "../../service/src/metrics";
import type { ModelPackage } from "../../service/src/model/package";
import { Predictor } from "../../service/src/predictor";
import { examplePackage, goldenStore, testConfig } from "./fixtures";
import { PROBABILITY_TOLERANCE, encodedGoldenRows, friendlyProbabilities } from "./oip-fixtures";

let pkg: ModelPackage;
let app: FastifyInstance;
let metrics: ServiceMetrics;
let predictor: Predictor;

beforeAll(async () => {
  pkg = await examplePackage();
  const store = goldenStore(pkg);
  metrics = new ServiceMetrics({ defaultMetrics: false });
  predictor = await Predictor.create(pkg, store, metrics, testConfig());
  app = await buildApp({ config: testConfig({ bodyLimitBytes: 256 * 1024 }), serving: { predictor, store }, metrics });
});
afterAll(async () => {
  await app.close();
  await predictor.close();
});

const post = (url: string, payload: unknown) => app.inject({ method: "POST", url, payload: payload as object });
const INFER = "/v2/models/fraud/infer";
const row = (n: number) => Array.from({ length: n * 30 }, (_, i) => (i % 7) / 7);

/** A binary-extension body: the JSON header, then the raw bytes. */
function binaryBody(header: unknown, ...chunks: Buffer[]): { payload: Buffer; headerLength: number } {
  const json = Buffer.from(JSON.stringify(header));
  return { payload: Buffer.concat([json, ...chunks]), headerLength: json.length };
}
const fp32 = (values: number[]) => Buffer.from(Float32Array.from(values).buffer);

/** Splits a binary-extension response into its JSON header and binary section. */
function splitResponse(res: { headers: Record<string, unknown>; rawPayload: Buffer }) {
  const n = Number(res.headers["inference-header-content-length"]);
  return { header: JSON.parse(res.rawPayload.subarray(0, n).toString("utf8")), binary: res.rawPayload.subarray(n) };
}

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
    ["non-numeric data", { inputs: [{ name: "input", shape: [1, 30], datatype: "FP32", data: [...row(1).slice(1), "a"] }] }, /expected finite numbers, got "a"/],
    ["an unknown output", { inputs: [{ name: "input", shape: [1, 30], datatype: "FP32", data: row(1) }], outputs: [{ name: "logits" }] }, /"logits" is not an output/],
    ["FP32 data beyond the FP32 range", { inputs: [{ name: "input", shape: [1, 30], datatype: "FP32", data: [1e39, ...row(1).slice(1)] }] }, /outside the FP32 range/],
    ["data nested deeper than the shape", { inputs: [{ name: "input", shape: [1, 30], datatype: "FP32", data: [[row(1)]] }] }, /nested deeper than the shape's 2 dimensions/],
    ["another model's name in the body", { model_name: "churn", inputs: [{ name: "input", shape: [1, 30], datatype: "FP32", data: row(1) }] }, /model_name "churn": this service serves model name "fraud"/],
    ["another version in the body", { model_version: "7", inputs: [{ name: "input", shape: [1, 30], datatype: "FP32", data: row(1) }] }, /model_version "7"/],
    ["no data and no binary size", { inputs: [{ name: "input", shape: [1, 30], datatype: "FP32" }] }, /inputs\[0\]\.data: required/],
    ["no inputs", { inputs: [] }, /inputs/],
  ])("rejects %s with 400 and { error }", async (_name, payload, message) => {
    const res = await infer(payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(message);
  });
});


describe("OIP v2 REST: what stock clients send", () => {
  it("takes a JSON body with no content type (Triton's HTTP client) and an octet-stream one (KServe's)", async () => {
    const request = JSON.stringify({ inputs: [{ name: "input", shape: [1, 30], datatype: "FP32", data: row(1) }] });
    for (const headers of [{}, { "content-type": "application/octet-stream" }, { "content-type": "application/json" }]) {
      const res = await app.inject({ method: "POST", url: INFER, headers, payload: request });
      expect({ headers, status: res.statusCode }).toEqual({ headers, status: 200 });
      expect(res.json().outputs).toHaveLength(2);
    }
  });

  it("refuses other content types with 415 naming the accepted ones", async () => {
    const res = await app.inject({ method: "POST", url: INFER, headers: { "content-type": "text/xml" }, payload: "<x/>" });
    expect(res.statusCode).toBe(415);
    expect(res.json().error).toMatch(/unsupported content-type "text\/xml": expected application\/json, application\/octet-stream/);
  });

  it("answers a missing body with 400, not 500", async () => {
    for (const headers of [{}, { "content-type": "application/json" }, { "content-type": "application/octet-stream" }]) {
      const res = await app.inject({ method: "POST", url: INFER, headers });
      expect({ headers, status: res.statusCode }).toEqual({ headers, status: 400 });
      expect(res.json().error).toMatch(/request body is (missing|empty)/);
    }
  });

  it("answers data nested 100,000 levels deep with 400, not a stack overflow", async () => {
    const deep = "[".repeat(100_000) + "1" + "]".repeat(100_000);
    const payload = `{"inputs":[{"name":"input","shape":[1,30],"datatype":"FP32","data":${deep}}]}`;
    const res = await app.inject({ method: "POST", url: INFER, headers: { "content-type": "application/json" }, payload });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ field: "inputs[0].data" });
  });

  it("echoes the request id, checks a repeated model name, and returns only the outputs asked for", async () => {
    const res = await post(INFER, {
      id: "req-42",
      model_name: "fraud",
      model_version: "1",
      inputs: [{ name: "input", shape: [3, 30], datatype: "FP32", data: row(3) }],
      outputs: [{ name: "probabilities" }],
    });
    expect(res.statusCode).toBe(200);
    const out = res.json();
    expect(out).toMatchObject({ id: "req-42", model_name: "fraud", model_version: "1" });
    expect(out.outputs.map((o: { name: string }) => o.name)).toEqual(["probabilities"]);
    expect(out.outputs[0].shape).toEqual([3, 2]);
  });
});

describe("OIP v2 REST: the binary tensor data extension", () => {
  it("reads binary inputs and answers binary outputs when binary_data_output is set", async () => {
    const values = row(2);
    const { payload, headerLength } = binaryBody(
      { id: "b1", inputs: [{ name: "input", shape: [2, 30], datatype: "FP32", parameters: { binary_data_size: 240 } }], parameters: { binary_data_output: true } },
      fp32(values),
    );
    const res = await app.inject({ method: "POST", url: INFER, headers: { "inference-header-content-length": String(headerLength) }, payload });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/octet-stream");
    const { header, binary } = splitResponse(res);
    expect(header.id).toBe("b1");
    expect(header.outputs).toEqual([
      { name: "label", datatype: "INT64", shape: [2], parameters: { binary_data_size: 16 } },
      { name: "probabilities", datatype: "FP32", shape: [2, 2], parameters: { binary_data_size: 16 } },
    ]);
    expect(binary.length).toBe(32);
    const probs = new Float32Array(new Uint8Array(binary.subarray(16)).buffer);
    const json = (await post(INFER, { inputs: [{ name: "input", shape: [2, 30], datatype: "FP32", data: values }] })).json();
    const expected = json.outputs.find((o: { name: string }) => o.name === "probabilities").data as number[];
    expected.forEach((p, i) => expect(Math.abs(probs[i] - p)).toBeLessThanOrEqual(PROBABILITY_TOLERANCE));
  });

  it("sends binary only the outputs that ask for it, JSON for the others", async () => {
    const res = await post(INFER, {
      inputs: [{ name: "input", shape: [1, 30], datatype: "FP32", data: row(1) }],
      outputs: [{ name: "label" }, { name: "probabilities", parameters: { binary_data: true } }],
    });
    const { header, binary } = splitResponse(res);
    expect(header.outputs[0]).toEqual({ name: "label", datatype: "INT64", shape: [1], data: [expect.any(Number)] });
    expect(header.outputs[1].parameters).toEqual({ binary_data_size: 8 });
    expect(binary.length).toBe(8);
  });

  it.each([
    ["a header length past the body", "99999", { inputs: [] }, /Inference-Header-Content-Length "99999"/],
    ["binary sizes that do not cover the section", undefined, { inputs: [{ name: "input", shape: [1, 30], datatype: "FP32", parameters: { binary_data_size: 100 } }] }, /has 120 bytes but the inputs' parameters.binary_data_size add up to 100/],
    ["binary data that does not fit the shape", undefined, { inputs: [{ name: "input", shape: [2, 30], datatype: "FP32", parameters: { binary_data_size: 120 } }] }, /has 120 bytes but 60 FP32 elements need 240/],
  ])("refuses %s with 400", async (_name, length, header, message) => {
    const { payload, headerLength } = binaryBody(header, fp32(row(1)));
    const res = await app.inject({ method: "POST", url: INFER, headers: { "inference-header-content-length": length ?? String(headerLength) }, payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(message);
  });

  it("refuses binary FP32 elements that are not finite", async () => {
    const values = row(1);
    values[3] = Number.POSITIVE_INFINITY;
    const { payload, headerLength } = binaryBody({ inputs: [{ name: "input", shape: [1, 30], datatype: "FP32", parameters: { binary_data_size: 120 } }] }, fp32(values));
    const res = await app.inject({ method: "POST", url: INFER, headers: { "inference-header-content-length": String(headerLength) }, payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(/expected finite numbers, got Infinity at element 3/);
  });
});

describe("OIP v2 REST and KServe V1 agree with the friendly API", () => {
  it("gives the golden cases' probabilities to 1e-6 through v2 JSON, v2 binary and V1 tensor rows", async () => {
    const { rows, width } = await encodedGoldenRows(pkg);
    const expected = await friendlyProbabilities(app, pkg.manifest.postprocess.labels);
    const n = rows.length;
    const json = (await post(INFER, { inputs: [{ name: "input", shape: [n, width], datatype: "FP32", data: rows }], outputs: [{ name: "probabilities" }] })).json();
    const { payload, headerLength } = binaryBody(
      { inputs: [{ name: "input", shape: [n, width], datatype: "FP32", parameters: { binary_data_size: n * width * 4 } }], outputs: [{ name: "probabilities", parameters: { binary_data: true } }] },
      fp32(rows.flat()),
    );
    const bin = splitResponse(await app.inject({ method: "POST", url: INFER, headers: { "inference-header-content-length": String(headerLength) }, payload }));
    const v1 = await post("/v1/models/fraud:predict", { instances: rows });
    expect(v1.statusCode).toBe(200);
    const answers = {
      json: json.outputs[0].data as number[],
      binary: Array.from(new Float32Array(new Uint8Array(bin.binary).buffer)),
      v1: (v1.json().predictions as number[][]).flat(),
    };
    for (const [protocol, got] of Object.entries(answers)) {
      expect({ protocol, length: got.length }).toEqual({ protocol, length: n * 2 });
      expected.flat().forEach((p, i) => expect({ protocol, i, diff: Math.abs(got[i] - p) <= PROBABILITY_TOLERANCE }).toEqual({ protocol, i, diff: true }));
    }
  });

  it("keeps the friendly batch form and refuses a mix of tensor rows and objects", async () => {
    const mixed = await post("/v1/models/fraud:predict", { instances: [row(1), { entity: { user_id: 100 }, features: { amount: 1, merchant_category: "online_retail", hour: 3 } }] });
    expect(mixed.statusCode).toBe(400);
    expect(mixed.json()).toMatchObject({ field: "instances", error: expect.stringMatching(/not a mix/) });
    const short = await post("/v1/models/fraud:predict", { instances: [row(1).slice(1)] });
    expect(short.json()).toMatchObject({ field: "instances[0]", error: expect.stringMatching(/has 30 values .* got 29/) });
    const text = await post("/v1/models/fraud:predict", { instances: [[...row(1).slice(1), "x"]] });
    expect(text.statusCode).toBe(400);
  });

  it("labels the stage metrics by protocol", async () => {
    await post(INFER, { inputs: [{ name: "input", shape: [1, 30], datatype: "FP32", data: row(1) }] });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/inference_stage_duration_seconds_count\{stage="infer",model="fraud",protocol="rest"\} [1-9]/);
  });
});
