// API keys on OIP v2 gRPC, with the REST rules (auth.ts): the key travels in metadata as
// `authorization: Bearer <key>` or `x-api-key`; none → UNAUTHENTICATED, an unknown one →
// PERMISSION_DENIED; the probes (ServerLive, ServerReady, grpc.health.v1) stay open as
// /v2/health/* does; accepted calls count under the same metric as REST, by key id.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";
import type { FeatureStore } from "../../service/src/features/store";
import { staticKeys, type ApiKeySource } from "../../service/src/auth";
import { LOADER_OPTIONS, protoPath } from "../../service/src/grpc/messages";
import { startGrpcServer, type RunningGrpcServer } from "../../service/src/grpc/server";
import { startServer } from "../../service/src/server";
import { ServiceMetrics } from "../../service/src/metrics";
import type { ModelPackage } from "../../service/src/model/package";
import { Predictor } from "../../service/src/predictor";
import { examplePackage, goldenStore, testConfig } from "./fixtures";
import { encodedGoldenRows } from "./oip-fixtures";

type Message = Record<string, unknown>;
type Unary = (request: Message, metadata: grpc.Metadata, callback: (err: grpc.ServiceError | null, res: Message) => void) => void;

const KEY_A = "a-key-of-team-a-0123456789";
const packages = {
  inference: grpc.loadPackageDefinition(protoLoader.loadSync(protoPath(), LOADER_OPTIONS)).inference as grpc.GrpcObject,
  health: grpc.loadPackageDefinition(protoLoader.loadSync(healthProtoPath, LOADER_OPTIONS)).grpc as grpc.GrpcObject,
};

let pkg: ModelPackage;
let metrics: ServiceMetrics;
let predictor: Predictor;
let store: FeatureStore;
let server: RunningGrpcServer;
let inference: grpc.Client;
let health: grpc.Client;
let rows: number[][];
const warnings: string[] = [];

async function serve(apiKeys: ApiKeySource | undefined): Promise<RunningGrpcServer> {
  const log = { info: () => {}, warn: (_: object, msg: string) => void warnings.push(msg), error: () => {} };
  return startGrpcServer({ serving: { predictor, store }, metrics, log, host: "127.0.0.1", port: 0, socket: undefined, maxMessageBytes: 1 << 20, apiKeys });
}

function call(client: grpc.Client, method: string, request: Message, headers: Record<string, string> = {}): Promise<Message> {
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
  const fn = (client as unknown as Record<string, Unary>)[method].bind(client);
  return new Promise((resolve, reject) => fn(request, metadata, (err, res) => (err ? reject(err) : resolve(res))));
}

async function code(promise: Promise<unknown>): Promise<grpc.status | "OK"> {
  try {
    await promise;
    return "OK";
  } catch (err) {
    return (err as grpc.ServiceError).code;
  }
}

const inferenceClient = (address: string) => new (packages.inference.GRPCInferenceService as grpc.ServiceClientConstructor)(address, grpc.credentials.createInsecure());
const healthClient = (address: string) =>
  new (((packages.health.health as grpc.GrpcObject).v1 as grpc.GrpcObject).Health as grpc.ServiceClientConstructor)(address, grpc.credentials.createInsecure());

beforeAll(async () => {
  pkg = await examplePackage();
  metrics = new ServiceMetrics({ defaultMetrics: false });
  store = goldenStore(pkg);
  predictor = await Predictor.create(pkg, store, metrics, testConfig());
  ({ rows } = await encodedGoldenRows(pkg));
  server = await serve(staticKeys({ "team-a": KEY_A, "team-b": "b-key-of-team-b-9876543210" }));
  const address = `127.0.0.1:${server.port}`;
  inference = inferenceClient(address);
  health = healthClient(address);
});
afterAll(async () => {
  inference.close();
  health.close();
  await server.drain(1000);
  await predictor.close();
});

const infer = () => ({ model_name: "fraud", inputs: [{ name: "input", datatype: "FP32", shape: [1, rows[0].length], contents: { fp32_contents: rows[0] } }] });
const guarded: [string, () => Message][] = [
  ["ModelInfer", infer],
  ["ModelMetadata", () => ({ name: "fraud" })],
  ["ModelReady", () => ({ name: "fraud" })],
  ["ServerMetadata", () => ({})],
];

describe("API keys on gRPC", () => {
  it.each(guarded)("%s without a key is UNAUTHENTICATED, saying how to send one", async (method, request) => {
    const err = await call(inference, method, request()).then(() => undefined, (e: grpc.ServiceError) => e);
    expect({ code: err?.code, details: err?.details }).toEqual({
      code: grpc.status.UNAUTHENTICATED,
      details: "missing API key: send Authorization: Bearer <key> or x-api-key: <key>",
    });
  });

  it.each(guarded)("%s with an unknown key is PERMISSION_DENIED", async (method, request) => {
    expect(await code(call(inference, method, request(), { "x-api-key": "not-a-key" }))).toBe(grpc.status.PERMISSION_DENIED);
    expect(await code(call(inference, method, request(), { authorization: `Bearer ${KEY_A}x` }))).toBe(grpc.status.PERMISSION_DENIED);
  });

  it.each(guarded)("%s accepts the key as authorization: Bearer or as x-api-key", async (method, request) => {
    expect(await code(call(inference, method, request(), { authorization: `Bearer ${KEY_A}` }))).toBe("OK");
    expect(await code(call(inference, method, request(), { "x-api-key": KEY_A }))).toBe("OK");
  });

  it("refuses another scheme than Bearer", async () => {
    expect(await code(call(inference, "ModelInfer", infer(), { authorization: `Basic ${KEY_A}` }))).toBe(grpc.status.UNAUTHENTICATED);
  });

  it("leaves the probes open, as REST leaves /v2/health/*", async () => {
    expect(await call(inference, "ServerLive", {})).toEqual({ live: true });
    expect(await call(inference, "ServerReady", {})).toEqual({ ready: true });
    expect(await call(health, "Check", { service: "" })).toEqual({ status: "SERVING" });
  });

  it("counts accepted calls by key id in REST's metric, and logs refusals without the key", async () => {
    await call(inference, "ModelInfer", infer(), { "x-api-key": "b-key-of-team-b-9876543210" });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/inference_authenticated_requests_total\{key_id="team-b"\} [1-9]/);
    expect(text).not.toMatch(/key_id="b-key/);
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.join("\n")).not.toContain("not-a-key");
  });

  it("is UNAVAILABLE while the keys cannot be read", async () => {
    const unread = await serve({ current: () => ({ problem: "API keys could not be read" }), close: () => {} });
    const c = inferenceClient(`127.0.0.1:${unread.port}`);
    try {
      expect(await code(call(c, "ModelInfer", infer(), { "x-api-key": KEY_A }))).toBe(grpc.status.UNAVAILABLE);
    } finally {
      c.close();
      await unread.drain(1000);
    }
  });
});

describe("the server process", () => {
  it("guards gRPC with the keys that guard REST (API_KEYS)", async () => {
    const running = await startServer(testConfig({ port: 0, host: "127.0.0.1", grpcPort: 0, apiKeys: { "team-a": KEY_A } }));
    const c = inferenceClient(`127.0.0.1:${running.grpc?.port}`);
    try {
      expect(await code(call(c, "ServerMetadata", {}))).toBe(grpc.status.UNAUTHENTICATED);
      expect(await code(call(c, "ServerMetadata", {}, { "x-api-key": KEY_A }))).toBe("OK");
      expect((await fetch(`${running.url}/v2`)).status).toBe(401);
      expect((await fetch(`${running.url}/v2`, { headers: { "x-api-key": KEY_A } })).status).toBe(200);
    } finally {
      c.close();
      await running.close();
    }
  });
});
