// A DynamoDB-compatible server for the DynamoDB store: moto's server (PyPI `moto[server]`, the
// same install as the S3 test server), on a free loopback port. DynamoDB Local is not used: it
// ships under Amazon's own licence, not an open-source one. moto answers the calls the store
// makes (BatchGetItem with projections and its 100-key and 16 MB limits, BatchWriteItem, GetItem).
import { spawn } from "node:child_process";
import { freePort } from "./free-port";
import { waitForHttp } from "./s3";
import type { TestServer } from "./server";

/** Where the test files find the shared instance, e.g. http://127.0.0.1:41234. */
export const TEST_DYNAMODB_ENDPOINT = "TEST_DYNAMODB_ENDPOINT";
/** moto accepts any credentials and region; the SDK still wants some. */
export const TEST_AWS_ENV = { AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_REGION: "us-east-1" } as const;

export interface DynamoDBServer extends TestServer {
  readonly port: number;
  readonly endpoint: string;
}

/** Starts moto's server; `port` lets a test restart one where its clients expect it. */
export async function startDynamoDB(options: { port?: number } = {}): Promise<DynamoDBServer> {
  const port = options.port ?? (await freePort());
  const python = process.env.PYTHON ?? "python3";
  const child = spawn(python, ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  let exit: string | undefined;
  child.on("exit", (code) => {
    exit = `DynamoDB test server (${python} -m moto.server) exited with code ${code}: ${stderr.trim().split("\n").slice(-3).join(" | ")}; install it with: pip install "moto[server]"`;
  });
  child.on("error", (err) => (exit = `cannot start ${python}: ${err.message}`));
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${endpoint}/moto-api/`, Date.now() + 30_000, () => exit);
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  return {
    name: "dynamodb",
    port,
    endpoint,
    env: { [TEST_DYNAMODB_ENDPOINT]: endpoint },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
