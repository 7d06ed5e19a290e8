// Loading the model package from file:// and s3:// (a real S3-compatible server), its checks,
// the local download cache, and a service whose liveness fails when loading gives up.
import { mkdtemp, readFile, writeFile, cp } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { buildApp } from "../../service/src/app";
import { EXAMPLE_MODEL_DIR, READY_PATH, HEALTH_PATH } from "../../service/src/config";
import { ServiceMetrics } from "../../service/src/metrics";
import { loadModelPackage, sha256 } from "../../service/src/model/package";
import { loadServing } from "../../service/src/serving";
import { testConfig } from "./fixtures";

const endpoint = process.env.TEST_S3_ENDPOINT;
process.env.AWS_ACCESS_KEY_ID ??= "test";
process.env.AWS_SECRET_ACCESS_KEY ??= "test";

async function tempPackage(edit?: (manifest: Record<string, unknown>) => void, artifact?: Buffer): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "pkg-"));
  await cp(EXAMPLE_MODEL_DIR, dir, { recursive: true });
  if (artifact) await writeFile(path.join(dir, "model.onnx"), artifact);
  if (edit) {
    const manifest = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8"));
    edit(manifest);
    await writeFile(path.join(dir, "manifest.json"), JSON.stringify(manifest));
  }
  return `file://${dir}/`;
}

describe("model package from file://", () => {
  it("loads the example package and verifies its sha256", async () => {
    const pkg = await loadModelPackage(testConfig());
    expect(pkg.manifest.name).toBe("fraud");
    expect(sha256(pkg.artifact)).toBe(pkg.manifest.artifact.sha256);
  });

  it.each([
    ["a URI that is neither file:// nor s3://", "http://x/model/", /"http:\/\/x\/model\/" is not a file:\/\/\/absolute\/path\/ or s3:\/\/bucket\/prefix\/ URI/],
    ["a folder without a manifest", "file:///nonexistent/model/", /\/nonexistent\/model\/manifest.json: cannot read \(ENOENT\)/],
  ])("refuses %s with a message naming it", async (_name, modelUri, message) => {
    await expect(loadModelPackage(testConfig({ modelUri }))).rejects.toThrow(message);
  });

  it("refuses an artifact whose sha256 differs from the manifest", async () => {
    const uri = await tempPackage(undefined, Buffer.from("not a model"));
    await expect(loadModelPackage(testConfig({ modelUri: uri }))).rejects.toThrow(/model.onnx: sha256 is [0-9a-f]{64} but the manifest expects/);
  });

  it("refuses an invalid manifest, naming the field", async () => {
    const uri = await tempPackage((m) => {
      (m.input as { shape: number[] }).shape = [-1, 12];
    });
    await expect(loadModelPackage(testConfig({ modelUri: uri }))).rejects.toThrow(/input.shape \[-1,12\]: expected \[-1, 30\]/);
    const bad = await tempPackage((m) => {
      delete m.postprocess;
    });
    await expect(loadModelPackage(testConfig({ modelUri: bad }))).rejects.toThrow(/manifest.json: invalid manifest: \/postprocess/);
  });
});

describe("a package that cannot be loaded", () => {
  it("fails liveness and readiness, with one clear log line and 503 on predict that do not leak the path", async () => {
    const lines: string[] = [];
    const log = { info: (m: string) => lines.push(m), error: (m: string) => lines.push(`ERROR ${m}`), warn: (_d: object, m: string) => lines.push(`WARN ${m}`) };
    const metrics = new ServiceMetrics({ defaultMetrics: false });
    const config = testConfig({ modelUri: "file:///nonexistent/model/" });
    const serving = await loadServing(config, metrics, log);
    expect(lines).toEqual(["ERROR model not loaded: /nonexistent/model/manifest.json: cannot read (ENOENT)"]);
    const app = await buildApp({ config, serving, metrics });
    const live = await app.inject(HEALTH_PATH);
    expect(live.statusCode).toBe(503);
    const ready = await app.inject(READY_PATH);
    expect(ready.statusCode).toBe(503);
    expect(ready.json().reason).toMatch(/model not loaded/);
    const predict = await app.inject({ method: "POST", url: "/v1/models/fraud:predict", payload: { entity: { user_id: 1 } } });
    expect(predict.statusCode).toBe(503);
    expect(predict.json().error).toMatch(/model not loaded/);
    for (const body of [live.body, ready.body, predict.body]) expect(body).not.toMatch(/nonexistent|ENOENT|manifest\.json/);
    await app.close();
  });
});

describe("model package from s3:// (S3-compatible test server)", () => {
  if (!endpoint) throw new Error("TEST_S3_ENDPOINT is not set: the jest global setup starts the S3 test server");
  const s3 = new S3Client({ region: "us-east-1", endpoint, forcePathStyle: true });
  const bucket = `models-${Date.now()}`;
  const prefix = "models/fraud/1/";
  const modelUri = `s3://${bucket}/${prefix}`;
  let cacheDir: string;

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const name of ["manifest.json", "model.onnx"]) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${name}`, Body: await readFile(path.join(EXAMPLE_MODEL_DIR, name)) }));
    }
    cacheDir = await mkdtemp(path.join(os.tmpdir(), "cache-"));
  });

  const settings = () => testConfig({ modelUri, modelCacheDir: cacheDir, s3Endpoint: endpoint, s3ForcePathStyle: true, awsRegion: "us-east-1" });

  it("downloads, verifies and caches the package on local disk", async () => {
    const pkg = await loadModelPackage(settings());
    expect(pkg.manifest.name).toBe("fraud");
    const cached = await readFile(path.join(cacheDir, bucket, prefix, "model.onnx"));
    expect(sha256(cached)).toBe(pkg.manifest.artifact.sha256);
  });

  it("does not download the artifact again while the cached copy matches the manifest", async () => {
    await loadModelPackage(settings());
    // Replace the object in the bucket: a re-download would now fail the sha256 check.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}model.onnx`, Body: Buffer.from("changed") }));
    const pkg = await loadModelPackage(settings());
    expect(sha256(pkg.artifact)).toBe(pkg.manifest.artifact.sha256);
    // Without the cache the same bucket content is refused.
    const fresh = await mkdtemp(path.join(os.tmpdir(), "cache-"));
    await expect(loadModelPackage({ ...settings(), modelCacheDir: fresh })).rejects.toThrow(/sha256 is/);
  });

  it("names the bucket and key when an object is missing", async () => {
    await expect(loadModelPackage({ ...settings(), modelUri: `s3://${bucket}/models/nothing/` })).rejects.toThrow(
      new RegExp(`s3://${bucket}/models/nothing/manifest.json: cannot download: NoSuchKey`),
    );
  });

  it("picks up a changed manifest (conditional GET) instead of serving a stale cached one", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "cache-"));
    const base = JSON.parse(await readFile(path.join(EXAMPLE_MODEL_DIR, "manifest.json"), "utf8"));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}model.onnx`, Body: await readFile(path.join(EXAMPLE_MODEL_DIR, "model.onnx")) }));
    await loadModelPackage({ ...settings(), modelCacheDir: dir });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}manifest.json`, Body: JSON.stringify({ ...base, description: "v2 of the manifest" }) }));
    const pkg = await loadModelPackage({ ...settings(), modelCacheDir: dir });
    expect(pkg.manifest.description).toBe("v2 of the manifest");
  });
});
