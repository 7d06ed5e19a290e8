// Health the platform can act on, shown by real server processes: liveness fails within a
// bounded time when the model package is bad or storage stays unreachable, and a model whose
// S3-compatible server is down at start loads once the server is up, without a restart.
import { readFile } from "node:fs/promises";
import { mkdtemp } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { EXAMPLE_MODEL_DIR, HEALTH_PATH, READY_PATH } from "../../service/src/config";
import { freePort } from "../setup/servers/free-port";
import * as net from "node:net";
import { golden } from "./fixtures";
import { listening, spawnServiceProcess, stopServiceProcess, type ServiceProcess } from "./service-process";

process.env.AWS_ACCESS_KEY_ID ??= "test";
process.env.AWS_SECRET_ACCESS_KEY ??= "test";
const known = golden.cases.find((c) => Object.keys(c.online).length > 0)!;

const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
};

let service: ServiceProcess | undefined;
/** How far past its deadline model loading may report giving up: timers and a busy machine, not another attempt. */
const SLACK_MS = 250;
let s3Door: net.Server | undefined;
afterEach(async () => {
  await stopServiceProcess(service);
  service = undefined;
  await new Promise((resolve) => (s3Door ? s3Door.close(resolve) : resolve(undefined)));
  s3Door = undefined;
});

/** The service's environment for a model package at `modelUri` on the S3-compatible `endpoint`, with a fresh cache. */
async function s3ModelEnv(modelUri: string, endpoint: string, loadTimeoutMs: number): Promise<Record<string, string>> {
  return {
    MODEL_URI: modelUri,
    S3_ENDPOINT: endpoint,
    S3_FORCE_PATH_STYLE: "true",
    AWS_REGION: "us-east-1",
    MODEL_CACHE_DIR: await mkdtemp(path.join(os.tmpdir(), "cache-")),
    MODEL_LOAD_TIMEOUT_MS: String(loadTimeoutMs),
  };
}

/** The time model loading reports having spent when it gave up. */
function gaveUpAfterMs(output: string): number {
  const m = /gave up after \d+ attempts in (\d+) ms/.exec(output);
  if (!m) throw new Error(`no "gave up after" line in the service's output:\n${output}`);
  return Number(m[1]);
}

/** Opens `port` as a plain TCP forwarder to the S3 test server: "S3 comes up", with the package already in place. */
function openS3Door(port: number, s3Endpoint: string): Promise<net.Server> {
  const target = new URL(s3Endpoint);
  const door = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    client.pipe(upstream).pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  return new Promise((resolve) => door.listen(port, "127.0.0.1", () => resolve(door)));
}

describe("liveness when the model cannot be loaded", () => {
  it("fails at once for a bad package, says why in the log and the admin status, and leaks nothing publicly", async () => {
    const started = Date.now();
    service = spawnServiceProcess({ MODEL_URI: "file:///nonexistent/model/" });
    const { url, adminUrl } = await listening(service);
    const live = await get(`${url}${HEALTH_PATH}`);
    // No retries for a package that is wrong in itself: bounded by process start-up alone.
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(live.status).toBe(503);
    expect(JSON.parse(live.text)).toEqual({ status: "failed", reason: expect.stringMatching(/^model not loaded/) });
    const ready = await get(`${url}${READY_PATH}`);
    expect(ready.status).toBe(503);
    for (const body of [live.text, ready.text]) expect(body).not.toMatch(/nonexistent|manifest\.json|ENOENT/);
    expect(service.output()).toMatch(/model not loaded: \/nonexistent\/model\/manifest.json: cannot read \(ENOENT\)"/);
    expect(service.output()).not.toMatch(/retrying/);
    const status = JSON.parse((await get(`${adminUrl}/status`)).text);
    expect(status).toMatchObject({ live: false, ready: false, model: { uri: "file:///nonexistent/model/", problem: expect.stringMatching(/ENOENT/) } });
    // The public listener does not serve the admin routes, and the admin listener does.
    expect((await get(`${url}/metrics`)).status).toBe(404);
    expect((await get(`${url}/status`)).status).toBe(404);
    expect((await get(`${adminUrl}/metrics`)).text).toMatch(/^inference_model_loaded 0$/m);
  });

  it("retries an unreachable S3 endpoint with backoff, then fails liveness once MODEL_LOAD_TIMEOUT_MS is spent", async () => {
    const port = await freePort();
    service = spawnServiceProcess(await s3ModelEnv("s3://models/fraud/1/", `http://127.0.0.1:${port}`, 3000));
    const { url } = await listening(service);
    expect((await get(`${url}${HEALTH_PATH}`)).status).toBe(503);
    const retries = service.output().match(/model loading failed, retrying/g) ?? [];
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(service.output()).toMatch(/gave up after \d+ attempts in \d+ ms/);
    const spent = gaveUpAfterMs(service.output());
    expect(spent).toBeGreaterThanOrEqual(1_500);
    expect(spent).toBeLessThan(3_000 + SLACK_MS);
  });

  it("gives up at MODEL_LOAD_TIMEOUT_MS when S3 accepts the connection and never answers, not at the SDK's request timeout", async () => {
    // A TCP server that takes connections and says nothing: each attempt would wait out the SDK's
    // 30 s request timeout, far past the budget, unless the attempt itself stops at the deadline.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const started = Date.now();
      const endpoint = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
      service = spawnServiceProcess(await s3ModelEnv("s3://models/fraud/1/", endpoint, 2000));
      const { url } = await listening(service);
      expect((await get(`${url}${HEALTH_PATH}`)).status).toBe(503);
      expect(service.output()).toMatch(/model not loaded: s3:\/\/models\/fraud\/1\/manifest.json: cannot download: .*\(gave up after 1 attempts in \d+ ms\)/);
      const spent = gaveUpAfterMs(service.output());
      expect(spent).toBeGreaterThanOrEqual(2_000);
      expect(spent).toBeLessThan(2_000 + SLACK_MS);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      silent.close();
    }
  }, 20_000);
});

describe("an S3-compatible server down at start, then up", () => {
  it("loads the model without a restart and becomes live and ready", async () => {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const bucket = `late-models-${Date.now()}`;
    service = spawnServiceProcess(await s3ModelEnv(`s3://${bucket}/fraud/1/`, endpoint, 120_000));
    // Down: the service keeps retrying.
    await service.waitFor(/model loading failed, retrying: .*late-models/, 90_000);
    // Up, with the package in place (the S3 test server, reached through the port the service uses).
    const s3Endpoint = process.env.TEST_S3_ENDPOINT;
    if (!s3Endpoint) throw new Error("TEST_S3_ENDPOINT is not set: the jest global setup starts the S3 test server");
    const client = new S3Client({ region: "us-east-1", endpoint: s3Endpoint, forcePathStyle: true });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const name of ["manifest.json", "model.onnx"]) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: `fraud/1/${name}`, Body: await readFile(path.join(EXAMPLE_MODEL_DIR, name)) }));
    }
    s3Door = await openS3Door(port, s3Endpoint);
    const { url } = await listening(service, 60_000);
    expect(service.output()).toMatch(new RegExp(`model fraud@1 loaded from s3://${bucket}/fraud/1/ .*\\(attempt [2-9]\\d*\\)`));
    expect((await get(`${url}${HEALTH_PATH}`)).status).toBe(200);
    expect((await get(`${url}${READY_PATH}`)).status).toBe(200);
    const predict = await fetch(`${url}/v1/models/fraud:predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ entity: known.entity, features: known.request }),
    });
    expect(predict.status).toBe(200);
    expect(service.child.exitCode).toBeNull();
  });
});
