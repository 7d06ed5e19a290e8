// The golden cases as the model's encoded input rows (what an OIP v2 or KServe V1 caller sends),
// and the friendly API's probabilities for the same cases: the two must agree to 1e-6.
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../service/src/app";
import { startGrpcServer } from "../../service/src/grpc/server";
import { ServiceMetrics } from "../../service/src/metrics";
import { Preprocessor } from "../../service/src/model/preprocess";
import type { ModelPackage } from "../../service/src/model/package";
import { Predictor } from "../../service/src/predictor";
import type { Serving } from "../../service/src/serving";
import { golden, goldenStore, testConfig } from "./fixtures";

export const PROBABILITY_TOLERANCE = 1e-6;

/** The golden cases' encoded rows, [cases × width] row-major, through the golden store's features. */
export async function encodedGoldenRows(pkg: ModelPackage): Promise<{ rows: number[][]; width: number }> {
  const pre = new Preprocessor(pkg.manifest);
  const store = goldenStore(pkg);
  const online = await store.get({
    entityKeyTypes: Object.fromEntries(pkg.manifest.entities.map((e) => [e.name, e.dtype])),
    entities: golden.cases.map((c) => c.entity),
    refs: pre.onlineRefs,
    ttlSeconds: pre.ttlSeconds,
  });
  const batch = new Float32Array(golden.cases.length * pre.width);
  golden.cases.forEach((c, i) => pre.encode(batch, i, c.request, online[i]));
  const rows = golden.cases.map((_, i) => Array.from(batch.subarray(i * pre.width, (i + 1) * pre.width)));
  return { rows, width: pre.width };
}

/** The friendly API's probabilities per golden case, in the manifest's label order. */
export async function friendlyProbabilities(app: FastifyInstance, labels: string[]): Promise<number[][]> {
  const res = await app.inject({
    method: "POST",
    url: "/v1/models/fraud:predict",
    payload: { instances: golden.cases.map((c) => ({ entity: c.entity, features: c.request })) },
  });
  if (res.statusCode !== 200) throw new Error(`friendly API answered ${res.statusCode}: ${res.body}`);
  return (res.json().predictions as { probabilities: Record<string, number> }[]).map((p) => labels.map((l) => p.probabilities[l]));
}

/** The service as stock clients reach it: HTTP and gRPC (TCP and a Unix socket) on loopback. */
export interface OipServer {
  httpUrl: string;
  /** host:port */
  grpcAddress: string;
  socket: string;
  metrics: ServiceMetrics;
  close(): Promise<void>;
}

/** A real server over the golden store (or the given serving), on free loopback ports. */
export async function startOipServer(pkg: ModelPackage, serving?: Serving, options: { bodyLimitBytes?: number; graceMs?: number } = {}): Promise<OipServer> {
  const metrics = new ServiceMetrics({ defaultMetrics: false });
  let predictor: Predictor | undefined;
  if (!serving) {
    const store = goldenStore(pkg);
    predictor = await Predictor.create(pkg, store, metrics, testConfig());
    serving = { predictor, store };
  }
  const config = testConfig(options.bodyLimitBytes ? { bodyLimitBytes: options.bodyLimitBytes } : {});
  const app = await buildApp({ config, serving, metrics });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  const dir = mkdtempSync(path.join(os.tmpdir(), "oip-"));
  const socket = path.join(dir, "grpc.sock");
  const log = { info: () => {}, warn: () => {}, error: (obj: object, msg: string) => console.error(msg, obj) };
  const grpc = await startGrpcServer({ serving, metrics, log, host: "127.0.0.1", port: 0, socket, maxMessageBytes: config.bodyLimitBytes });
  return {
    httpUrl: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`,
    grpcAddress: `127.0.0.1:${grpc.port}`,
    socket,
    metrics,
    async close() {
      await Promise.all([app.close(), grpc.drain(options.graceMs ?? 1000)]);
      await predictor?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The same, from a running server over HTTP. */
export async function friendlyProbabilitiesAt(httpUrl: string, labels: string[]): Promise<number[][]> {
  const res = await fetch(`${httpUrl}/v1/models/fraud:predict`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ instances: golden.cases.map((c) => ({ entity: c.entity, features: c.request })) }),
  });
  if (res.status !== 200) throw new Error(`friendly API answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { predictions: { probabilities: Record<string, number> }[] };
  return body.predictions.map((p) => labels.map((l) => p.probabilities[l]));
}
