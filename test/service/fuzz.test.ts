// Property-based fuzzing over the service's own OpenAPI document with schemathesis (a Python
// peer, test/peers/schemathesis.requirements.txt): generated valid and invalid requests for every
// documented operation must never get a 5xx, and every answer must match the documented status
// codes, content types and response schemas. Bounded: a fixed seed and examples per operation.
import { spawn } from "node:child_process";
import * as path from "node:path";
import { startServer, type RunningServer } from "../../service/src/server";
import { peerPython } from "../setup/peers";
import { testConfig } from "./fixtures";

const EXAMPLES_PER_OPERATION = "20";
const CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance"];

/** Where the server publishes /openapi.json: its admin listener when it has one, else the main one. */
async function openApiUrl(server: RunningServer): Promise<string> {
  const bases = [(server as { adminUrl?: string }).adminUrl, server.url].filter((u): u is string => u !== undefined);
  for (const base of bases) {
    if ((await fetch(`${base}/openapi.json`)).status === 200) return `${base}/openapi.json`;
  }
  throw new Error(`no /openapi.json at ${bases.join(" or ")}`);
}

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: path.resolve(__dirname, "..", ".."), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

let server: RunningServer;
beforeAll(async () => {
  server = await startServer(testConfig({ port: 0, host: "127.0.0.1" }));
});
afterAll(() => server.close());

it("answers schemathesis' generated requests with no 5xx and only documented responses", async () => {
  const st = path.join(path.dirname(peerPython("schemathesis")), "st");
  const { code, output } = await run(st, [
    "--config-file", path.join("test", "peers", "schemathesis.toml"),
    "--no-color",
    "run", await openApiUrl(server),
    "--url", server.url,
    "--checks", CHECKS.join(","),
    "--phases", "examples,coverage,fuzzing",
    "--max-examples", EXAMPLES_PER_OPERATION,
    "--seed", "20261130",
    "--generation-database", "none",
    "--workers", "1",
    "--request-timeout", "10",
  ]);
  // On failure, the report names each operation, the check and a curl line reproducing it.
  expect({ code, report: code === 0 ? "passed" : output.slice(-6000) }).toEqual({ code: 0, report: "passed" });
  expect(output).toMatch(/API Operations:\s+Selected: \d+\/\d+\s+Tested: [1-9]/);
}, 240_000);
