// The README's tritonclient snippet works as pasted: run with the tritonclient peer against a real
// server, only its localhost ports swapped for the test server's free ones.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { peerPython } from "../setup/peers";
import { examplePackage } from "./fixtures";
import { startOipServer, type OipServer } from "./oip-fixtures";

const run = promisify(execFile);
const readme = readFileSync(path.resolve(__dirname, "..", "..", "README.md"), "utf8");

let server: OipServer;
beforeAll(async () => {
  server = await startOipServer(await examplePackage());
});
afterAll(() => server.close());

it("README: the tritonclient snippet prints probabilities over gRPC and HTTP", async () => {
  const snippet = /From Python, with Triton's client[\s\S]*?```python\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(snippet).toContain('InferenceServerClient(url)');
  const code = snippet!.replace("localhost:8081", server.grpcAddress).replace("localhost:8080", server.httpUrl.replace("http://", ""));
  const { stdout } = await run(peerPython("tritonclient"), ["-c", code], { timeout: 60_000 });
  const lines = stdout.trim().split("\n");
  expect(lines[0]).toMatch(/^tritonclient\.grpc \[\[0\.\d+ +0\.\d+\]/);
  expect(stdout).toMatch(/tritonclient\.http \[\[0\.\d+ +0\.\d+\]/);
});
