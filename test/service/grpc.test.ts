// OIP v2 over gRPC as a client sees it, with @grpc/grpc-js and our .proto: metadata, inference with
// typed and raw contents (answers equal the friendly API's), errors as gRPC status codes naming
// the field, message size limits, grpc.health.v1 with the HTTP checks' semantics, the Unix
// socket, per-protocol metrics, and draining.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";
import { LOADER_OPTIONS, protoPath } from "../../service/src/grpc/messages";
import type { FeatureStore } from "../../service/src/features/store";
import { ServiceMetrics } from "../../service/src/metrics";
import type { ModelPackage } from "../../service/src/model/package";
import { Predictor } from "../../service/src/predictor";
import { examplePackage, goldenStore, testConfig } from "./fixtures";
import { PROBABILITY_TOLERANCE, encodedGoldenRows, friendlyProbabilitiesAt, startOipServer, type OipServer } from "./oip-fixtures";

type Message = Record<string, unknown>;
type Call = (request: Message, metadata?: grpc.Metadata) => Promise<Message>;
interface Client {
  call(method: string, request?: Message): Promise<Message>;
  close(): void;
}

const inferenceCtor = grpc.loadPackageDefinition(protoLoader.loadSync(protoPath(), LOADER_OPTIONS)).inference as grpc.GrpcObject;
const healthCtor = grpc.loadPackageDefinition(protoLoader.loadSync(healthProtoPath, LOADER_OPTIONS)).grpc as grpc.GrpcObject;

function clientFor(address: string, service: "inference" | "health", options: grpc.ChannelOptions = {}): Client {
  const Ctor = (service === "inference" ? inferenceCtor.GRPCInferenceService : ((healthCtor.health as grpc.GrpcObject).v1 as grpc.GrpcObject).Health) as grpc.ServiceClientConstructor;
  const client = new Ctor(address, grpc.credentials.createInsecure(), options);
  return {
    call(method, request = {}) {
      const fn = (client as unknown as Record<string, Call>)[method].bind(client) as unknown as (r: Message, cb: (err: grpc.ServiceError | null, res: Message) => void) => void;
      return new Promise((resolve, reject) => fn(request, (err, res) => (err ? reject(err) : resolve(res))));
    },
    close: () => client.close(),
  };
}

/** The gRPC error a call fails with. */
async function failure(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (err) {
    return err as grpc.ServiceError;
  }
  throw new Error("the call succeeded");
}

let pkg: ModelPackage;
let server: OipServer;
let client: Client;
let rows: number[][];
let expected: number[][];

beforeAll(async () => {
  pkg = await examplePackage();
  server = await startOipServer(pkg, undefined, { bodyLimitBytes: 64 * 1024 });
  client = clientFor(server.grpcAddress, "inference");
  ({ rows } = await encodedGoldenRows(pkg));
  expected = await friendlyProbabilitiesAt(server.httpUrl, pkg.manifest.postprocess.labels);
});
afterAll(async () => {
  client.close();
  await server.close();
});

const fp32Input = (values: number[][]) => ({ name: "input", datatype: "FP32", shape: [values.length, values[0].length], contents: { fp32_contents: values.flat() } });

describe("inference.GRPCInferenceService", () => {
  it("answers liveness, readiness and metadata like REST", async () => {
    expect(await client.call("ServerLive")).toEqual({ live: true });
    expect(await client.call("ServerReady")).toEqual({ ready: true });
    expect(await client.call("ModelReady", { name: "fraud" })).toEqual({ ready: true });
    expect(await client.call("ServerMetadata")).toMatchObject({ name: "inference-blueprint", extensions: ["binary_tensor_data"] });
    const rest = await (await fetch(`${server.httpUrl}/v2/models/fraud`)).json();
    expect(await client.call("ModelMetadata", { name: "fraud", version: "1" })).toEqual(rest);
  });

  it("infers typed contents: the golden cases' probabilities equal the friendly API's to 1e-6, id echoed, outputs filtered", async () => {
    const res = await client.call("ModelInfer", { model_name: "fraud", id: "g-1", inputs: [fp32Input(rows)], outputs: [{ name: "probabilities" }] });
    expect(res).toMatchObject({ model_name: "fraud", model_version: "1", id: "g-1" });
    const outputs = res.outputs as { name: string; shape: number[]; contents: { fp32_contents: number[] } }[];
    expect(outputs.map((o) => [o.name, o.shape])).toEqual([["probabilities", [rows.length, 2]]]);
    const got = outputs[0].contents.fp32_contents;
    expected.flat().forEach((p, i) => expect(Math.abs(got[i] - p)).toBeLessThanOrEqual(PROBABILITY_TOLERANCE));
  });

  it("infers raw_input_contents and answers raw_output_contents in output order", async () => {
    const raw = Buffer.from(Float32Array.from(rows.flat()).buffer);
    const res = await client.call("ModelInfer", {
      model_name: "fraud",
      inputs: [{ name: "input", datatype: "FP32", shape: [rows.length, rows[0].length] }],
      raw_input_contents: [raw],
    });
    const outputs = res.outputs as { name: string; datatype: string; contents?: unknown }[];
    expect(outputs.map((o) => [o.name, o.datatype, o.contents])).toEqual([["label", "INT64", undefined], ["probabilities", "FP32", undefined]]);
    const [labels, probs] = res.raw_output_contents as Buffer[];
    expect(labels.length).toBe(rows.length * 8);
    const got = new Float32Array(new Uint8Array(probs).buffer);
    expected.flat().forEach((p, i) => expect(Math.abs(got[i] - p)).toBeLessThanOrEqual(PROBABILITY_TOLERANCE));
  });

  it.each([
    ["a wrong shape", { model_name: "fraud", inputs: [{ ...fp32Input([[1, 2]]) }] }, grpc.status.INVALID_ARGUMENT, "inputs[0].shape", /inputs\[0\]\.shape \[1,2\]: expected \[N,30\]/],
    ["a wrong datatype", { model_name: "fraud", inputs: [{ ...fp32Input([Array(30).fill(0)]), datatype: "FP64" }] }, grpc.status.INVALID_ARGUMENT, "inputs[0].datatype", /expected "FP32"/],
    ["elements in another datatype's field", { model_name: "fraud", inputs: [{ ...fp32Input([Array(30).fill(0)]), contents: { fp64_contents: Array(30).fill(0) } }] }, grpc.status.INVALID_ARGUMENT, "inputs[0].contents.fp32_contents", /required/],
    ["FP32 beyond its range (infinite on the wire)", { model_name: "fraud", inputs: [fp32Input([[1e39, ...Array(29).fill(0)]])] }, grpc.status.INVALID_ARGUMENT, "inputs[0].contents.fp32_contents", /expected finite numbers, got Infinity at element 0/],
    ["raw and typed contents at once", { model_name: "fraud", inputs: [fp32Input([Array(30).fill(0)])], raw_input_contents: [Buffer.alloc(120)] }, grpc.status.INVALID_ARGUMENT, "inputs[0].contents", /not both/],
    ["raw bytes that do not fit the shape", { model_name: "fraud", inputs: [{ name: "input", datatype: "FP32", shape: [2, 30] }], raw_input_contents: [Buffer.alloc(120)] }, grpc.status.INVALID_ARGUMENT, "raw_input_contents[0]", /has 120 bytes but 60 FP32 elements need 240/],
    ["an unknown output", { model_name: "fraud", inputs: [fp32Input([Array(30).fill(0)])], outputs: [{ name: "logits" }] }, grpc.status.INVALID_ARGUMENT, "outputs[0].name", /"logits" is not an output/],
    ["another model", { model_name: "churn", inputs: [fp32Input([Array(30).fill(0)])] }, grpc.status.NOT_FOUND, undefined, /model "churn" not found/],
    ["another version", { model_name: "fraud", model_version: "7", inputs: [fp32Input([Array(30).fill(0)])] }, grpc.status.NOT_FOUND, undefined, /no version "7"/],
  ])("refuses %s with the mapped status, naming the field", async (_name, request, code, field, message) => {
    const err = await failure(client.call("ModelInfer", request));
    expect({ code: err.code, field: err.metadata.get("field")[0] }).toEqual({ code, field });
    expect(err.details).toMatch(message);
  });

  it("refuses a message over the size limit with RESOURCE_EXHAUSTED", async () => {
    const big = Array.from({ length: 1000 }, () => Array(30).fill(0.5));
    const err = await failure(client.call("ModelInfer", { model_name: "fraud", inputs: [fp32Input(big)] }));
    expect(err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });

  it("serves the same service on the Unix socket", async () => {
    const local = clientFor(`unix://${server.socket}`, "inference");
    try {
      const res = await local.call("ModelInfer", { model_name: "fraud", inputs: [fp32Input(rows.slice(0, 2))] });
      const probs = (res.outputs as { name: string; contents: { fp32_contents: number[] } }[]).find((o) => o.name === "probabilities")!;
      expected.slice(0, 2).flat().forEach((p, i) => expect(Math.abs(probs.contents.fp32_contents[i] - p)).toBeLessThanOrEqual(PROBABILITY_TOLERANCE));
    } finally {
      local.close();
    }
  });

  it("labels the stage metrics grpc", async () => {
    const text = await server.metrics.registry.metrics();
    expect(text).toMatch(/inference_stage_duration_seconds_count\{stage="infer",model="fraud",protocol="grpc"\} [1-9]/);
  });
});

describe("grpc.health.v1.Health", () => {
  it("answers readiness for the empty name (what an ALB asks) and liveness for \"liveness\"", async () => {
    const health = clientFor(server.grpcAddress, "health");
    try {
      for (const service of ["", "readiness", "inference.GRPCInferenceService", "liveness"]) {
        expect({ service, ...(await health.call("Check", { service })) }).toEqual({ service, status: "SERVING" });
      }
      expect((await failure(health.call("Check", { service: "other" }))).code).toBe(grpc.status.NOT_FOUND);
    } finally {
      health.close();
    }
  });

  it("keeps readiness like /readyz when the store is down (the example manifest serves defaults), liveness too; fails both when the model did not load", async () => {
    const fast = goldenStore(pkg);
    const down: FeatureStore = { ...fast, kind: "down", get: (q) => fast.get(q), ready: async () => false, close: async () => {} };
    const metrics = new ServiceMetrics({ defaultMetrics: false });
    const predictor = await Predictor.create(pkg, down, metrics, testConfig());
    const storeDown = await startOipServer(pkg, { predictor, store: down });
    const noModel = await startOipServer(pkg, { problem: "model not loaded: the model package could not be loaded" });
    const clients = [storeDown, noModel].map((s) => ({ health: clientFor(s.grpcAddress, "health"), inference: clientFor(s.grpcAddress, "inference") }));
    try {
      const [a, b] = clients;
      expect(pkg.manifest.onStoreUnavailable).toBe("defaults");
      expect(await a.health.call("Check", { service: "" })).toEqual({ status: "SERVING" });
      expect(await a.health.call("Check", { service: "liveness" })).toEqual({ status: "SERVING" });
      expect(await b.health.call("Check", { service: "" })).toEqual({ status: "NOT_SERVING" });
      expect(await b.health.call("Check", { service: "liveness" })).toEqual({ status: "NOT_SERVING" });
      expect(await b.inference.call("ServerReady")).toEqual({ ready: false });
      const err = await failure(b.inference.call("ModelInfer", { model_name: "fraud", inputs: [fp32Input([Array(30).fill(0)])] }));
      expect(err.code).toBe(grpc.status.UNAVAILABLE);
    } finally {
      for (const c of clients) {
        c.health.close();
        c.inference.close();
      }
      await Promise.all([storeDown.close(), noModel.close()]);
      await predictor.close();
    }
  });
});

describe("draining", () => {
  it("finishes the call in flight, then refuses new calls", async () => {
    const fast = goldenStore(pkg);
    const slow: FeatureStore = { ...fast, kind: "slow", get: (q) => fast.get(q), ready: () => new Promise((r) => setTimeout(() => r(true), 300)), close: async () => {} };
    const metrics = new ServiceMetrics({ defaultMetrics: false });
    const predictor = await Predictor.create(pkg, slow, metrics, testConfig());
    const srv = await startOipServer(pkg, { predictor, store: slow }, { graceMs: 5000 });
    const c = clientFor(srv.grpcAddress, "inference");
    try {
      const inFlight = c.call("ModelReady", { name: "fraud" });
      await new Promise((r) => setTimeout(r, 50));
      const closed = srv.close();
      expect(await inFlight).toEqual({ ready: true });
      await closed;
      expect((await failure(c.call("ServerLive"))).code).toBe(grpc.status.UNAVAILABLE);
    } finally {
      c.close();
      await predictor.close();
    }
  });
});
