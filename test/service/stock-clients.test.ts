// Stock OIP clients from PyPI, unchanged and at their default settings, against the real server on
// loopback: tritonclient (HTTP with its binary default, gRPC over TCP and the Unix socket) and
// kserve (REST V1 by default, V2 JSON and binary; gRPC typed and raw). Answers for the golden cases
// equal the friendly API's to 1e-6. A missing client venv fails (bash .ci/python-peers.sh makes it).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { peerPython } from "../setup/peers";
import { examplePackage } from "./fixtures";
import { PROBABILITY_TOLERANCE, encodedGoldenRows, friendlyProbabilitiesAt, startOipServer, type OipServer } from "./oip-fixtures";

const run = promisify(execFile);
const SCRIPTS = path.resolve(__dirname, "..", "peers", "scripts");

let server: OipServer;
let rowsFile: string;
let dir: string;
let rows: number[][];
let expected: number[][];

beforeAll(async () => {
  const pkg = await examplePackage();
  server = await startOipServer(pkg);
  ({ rows } = await encodedGoldenRows(pkg));
  expected = await friendlyProbabilitiesAt(server.httpUrl, pkg.manifest.postprocess.labels);
  dir = mkdtempSync(path.join(os.tmpdir(), "stock-clients-"));
  rowsFile = path.join(dir, "rows.json");
  writeFileSync(rowsFile, JSON.stringify(rows));
});
afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function peer(name: string, script: string, args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(peerPython(name), [path.join(SCRIPTS, script), ...args], { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

function expectClose(got: number[][] | null | undefined, want: number[][], what: string): void {
  expect({ what, rows: got?.length }).toEqual({ what, rows: want.length });
  want.forEach((row, i) => row.forEach((p, k) => expect({ what, i, k, close: Math.abs(got![i][k] - p) <= PROBABILITY_TOLERANCE }).toEqual({ what, i, k, close: true })));
}

interface TritonRun {
  live: boolean;
  ready: boolean;
  model_ready: boolean;
  server: string;
  metadata: { name: string; inputs: unknown[]; outputs: unknown[] };
  single: Answer;
  batch: Answer;
  batch_json?: Answer;
  by_name: Answer;
  errors: Record<string, { status: string; message: string } | null>;
}
interface Answer {
  id: string;
  outputs: string[];
  probabilities: number[][] | null;
  label: number[] | null;
}

describe("tritonclient 2.73 (HTTP, gRPC, gRPC on the Unix socket)", () => {
  let result: Record<string, TritonRun>;
  beforeAll(async () => {
    result = (await peer("tritonclient", "tritonclient_check.py", [server.httpUrl, server.grpcAddress, server.socket, rowsFile])) as unknown as Record<string, TritonRun>;
  }, 180_000);

  it.each(["http", "grpc", "grpc_socket"])("%s: health and metadata", (transport) => {
    const r = result[transport];
    expect({ live: r.live, ready: r.ready, model_ready: r.model_ready, server: r.server }).toEqual({ live: true, ready: true, model_ready: true, server: "inference-blueprint" });
    expect(r.metadata).toEqual({ name: "fraud", inputs: [["input", "FP32", [-1, 30]]], outputs: [["label", "INT64", [-1]], ["probabilities", "FP32", [-1, 2]]] });
  });

  it.each(["http", "grpc", "grpc_socket"])("%s: single and batch inference equal the friendly API, id echoed, outputs by name", (transport) => {
    const r = result[transport];
    expect(r.single.id).toBe("req-7");
    expectClose(r.single.probabilities, expected.slice(0, 1), `${transport} single`);
    expectClose(r.batch.probabilities, expected, `${transport} batch`);
    if (r.batch_json) expectClose(r.batch_json.probabilities, expected, `${transport} JSON`);
    expect(r.batch.label).toEqual(expected.map((p) => (p[1] > p[0] ? 1 : 0)));
    expect(r.by_name.outputs).toEqual(["probabilities"]);
    expectClose(r.by_name.probabilities, expected, `${transport} by name`);
  });

  it("http: errors come back as the client's exceptions with 400/404 and the service's message", () => {
    const e = result.http.errors;
    expect(e.wrong_shape).toMatchObject({ status: "400", message: expect.stringMatching(/inputs\[0\]\.shape \[41,29\]: expected \[N,30\]/) });
    expect(e.unknown_model?.message).toMatch(/model "churn" not found/);
    expect(e.unknown_output?.message).toMatch(/"logits" is not an output/);
  });

  it.each(["grpc", "grpc_socket"])("%s: errors come back as INVALID_ARGUMENT / NOT_FOUND with the service's message", (transport) => {
    const e = result[transport].errors;
    expect(e.wrong_shape).toMatchObject({ status: "StatusCode.INVALID_ARGUMENT", message: expect.stringMatching(/expected \[N,30\]/) });
    expect(e.unknown_model).toMatchObject({ status: "StatusCode.NOT_FOUND" });
    expect(e.unknown_output).toMatchObject({ status: "StatusCode.INVALID_ARGUMENT", message: expect.stringMatching(/"logits"/) });
  });
});

describe("kserve 0.21 (REST V1 by default, REST V2, gRPC)", () => {
  let r: Record<string, unknown>;
  beforeAll(async () => {
    r = await peer("kserve", "kserve_check.py", [server.httpUrl, server.grpcAddress, rowsFile]);
  }, 180_000);

  const probabilities = (answer: unknown) => (answer as { outputs: Record<string, number[][]> }).outputs.probabilities;

  it("REST with the default config speaks KServe V1: tensor rows in, predictions out, equal to the friendly API", () => {
    expectClose((r.v1 as { predictions: number[][] }).predictions, expected, "v1");
  });

  it("REST V2, JSON and binary, and gRPC, typed and raw: equal to the friendly API, id echoed", () => {
    expect({ ready: r.v2_ready, model: r.v2_model_ready, grpc: r.grpc_ready, grpcModel: r.grpc_model_ready }).toEqual({ ready: true, model: true, grpc: true, grpcModel: true });
    for (const key of ["v2_binary_False", "v2_binary_True", "grpc_raw_False", "grpc_raw_True"]) {
      expect({ key, id: (r[key] as { id: string }).id }).toEqual({ key, id: key.startsWith("v2") ? "k-1" : "g-1" });
      expectClose(probabilities(r[key]), expected, key);
    }
    expect(Object.keys(r.v2_by_name as object)).toEqual(["probabilities"]);
    expect(r.v2_live).toBe(true);
  });

  it("errors reach the client with the service's message", () => {
    expect(r.v2_error).toMatch(/inputs\[0\]\.shape \[1,29\]: expected \[N,30\]/);
    expect(r.grpc_error).toMatch(/INVALID_ARGUMENT|expected \[N,30\]/);
  });
});
