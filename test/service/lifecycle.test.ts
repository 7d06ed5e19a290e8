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
import { startS3 } from "../setup/servers/s3";
import type { TestServer } from "../setup/servers/server";
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
let s3: TestServer | undefined;
afterEach(async () => {
  await stopServiceProcess(service);
  service = undefined;
  await s3?.stop();
  s3 = undefined;
});

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
    service = spawnServiceProcess({
      MODEL_URI: "s3://models/fraud/1/",
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_FORCE_PATH_STYLE: "true",
      AWS_REGION: "us-east-1",
      MODEL_CACHE_DIR: await mkdtemp(path.join(os.tmpdir(), "cache-")),
      MODEL_LOAD_TIMEOUT_MS: "3000",
    });
    const { url } = await listening(service);
    expect((await get(`${url}${HEALTH_PATH}`)).status).toBe(503);
    const retries = service.output().match(/model loading failed, retrying/g) ?? [];
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(service.output()).toMatch(/gave up after \d+ attempts in (\d{4}) ms/);
    const spent = Number(/gave up after \d+ attempts in (\d+) ms/.exec(service.output())![1]);
    expect(spent).toBeGreaterThanOrEqual(1_500);
    expect(spent).toBeLessThanOrEqual(3_000);
  });
});

describe("an S3-compatible server down at start, then up", () => {
  it("loads the model without a restart and becomes live and ready", async () => {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const bucket = "late-models";
    service = spawnServiceProcess({
      MODEL_URI: `s3://${bucket}/fraud/1/`,
      S3_ENDPOINT: endpoint,
      S3_FORCE_PATH_STYLE: "true",
      AWS_REGION: "us-east-1",
      MODEL_CACHE_DIR: await mkdtemp(path.join(os.tmpdir(), "cache-")),
      MODEL_LOAD_TIMEOUT_MS: "120000",
    });
    // Down: the service keeps retrying.
    await service.waitFor(/model loading failed, retrying: .*late-models/, 90_000);
    // Up, with the package uploaded.
    s3 = await startS3(port);
    const client = new S3Client({ region: "us-east-1", endpoint, forcePathStyle: true });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const name of ["manifest.json", "model.onnx"]) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: `fraud/1/${name}`, Body: await readFile(path.join(EXAMPLE_MODEL_DIR, name)) }));
    }
    const { url } = await listening(service, 60_000);
    expect(service.output()).toMatch(/model fraud@1 loaded from s3:\/\/late-models\/fraud\/1\/ .*\(attempt [2-9]\d*\)/);
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
