// Optional API keys on the inference routes: Bearer or x-api-key, 401/403 in the service's shape,
// the key id (never the key) in metrics and logs, and keys from Secrets Manager (moto) re-read
// so a rotation needs no restart.
import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import pino from "pino";
import { buildApp } from "../../service/src/app";
import { requiresApiKey, secretKeys, type ApiKeySource } from "../../service/src/auth";
import { ServiceMetrics } from "../../service/src/metrics";
import type { ModelPackage } from "../../service/src/model/package";
import { Predictor } from "../../service/src/predictor";
import { examplePackage, golden, goldenStore, PREDICT_PATH as PREDICT, testConfig } from "./fixtures";

const known = golden.cases.find((c) => Object.keys(c.online).length > 0)!;
const body = { entity: known.entity, features: known.request };
const KEY_A = "a-key-of-team-a-0123456789";
const KEY_B = "b-key-of-team-b-9876543210";

let pkg: ModelPackage;
beforeAll(async () => {
  pkg = await examplePackage();
});

async function appWith(options: { apiKeys?: Record<string, string>; source?: ApiKeySource }) {
  const metrics = new ServiceMetrics({ defaultMetrics: false });
  const store = goldenStore(pkg);
  const predictor = await Predictor.create(pkg, store, metrics, testConfig());
  const lines: string[] = [];
  const logger = pino({ level: "info" }, new Writable({ write: (chunk, _enc, done) => (lines.push(chunk.toString()), done()) }));
  const app: FastifyInstance = await buildApp({
    config: testConfig({ apiKeys: options.apiKeys }),
    serving: { predictor, store },
    metrics,
    logger,
    apiKeys: options.source,
  });
  return { app, metrics, lines, close: async () => { await app.close(); await predictor.close(); } };
}

describe("API keys from API_KEYS", () => {
  let t: Awaited<ReturnType<typeof appWith>>;
  beforeAll(async () => (t = await appWith({ apiKeys: { "team-a": KEY_A, "team-b": KEY_B } })));
  afterAll(() => t.close());
  const predict = (headers: Record<string, string>) => t.app.inject({ method: "POST", url: PREDICT, payload: body, headers });

  it("accepts a key as Authorization: Bearer or as x-api-key", async () => {
    expect((await predict({ authorization: `Bearer ${KEY_A}` })).statusCode).toBe(200);
    expect((await predict({ "x-api-key": KEY_B })).statusCode).toBe(200);
  });

  it("answers 401 with WWW-Authenticate when no key is sent", async () => {
    const res = await predict({});
    expect(res.statusCode).toBe(401);
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="inference-blueprint"');
    expect(res.json()).toEqual({ error: "missing API key: send Authorization: Bearer <key> or x-api-key: <key>" });
    expect((await predict({ authorization: `Basic ${KEY_A}` })).statusCode).toBe(401);
  });

  it("answers 403 to a key that is not one of the service's keys, and never echoes it", async () => {
    const res = await predict({ authorization: `Bearer ${KEY_A}x` });
    expect(res.statusCode).toBe(403);
    expect(res.headers["www-authenticate"]).toMatch(/error="invalid_token"/);
    expect(res.json()).toEqual({ error: "API key not accepted: it is not one of this service's keys" });
  });

  it("protects every OIP v2 route but the health probes", async () => {
    expect((await t.app.inject("/v2/models/fraud")).statusCode).toBe(401);
    expect((await t.app.inject({ method: "POST", url: "/v2/models/fraud/infer", payload: {} })).statusCode).toBe(401);
    expect((await t.app.inject("/v2")).statusCode).toBe(401);
    expect((await t.app.inject("/v2/health/live")).statusCode).toBe(200);
    expect((await t.app.inject("/v2/health/ready")).statusCode).toBe(200);
    expect((await t.app.inject("/healthz")).statusCode).toBe(200);
  });

  it("counts requests by key id and logs the key id, never the key", async () => {
    const before = t.lines.length;
    await predict({ "x-api-key": KEY_B });
    await predict({ "x-api-key": `${KEY_B}-wrong` });
    const text = await t.metrics.registry.metrics();
    expect(text).toMatch(/inference_authenticated_requests_total\{key_id="team-b"\} [1-9]/);
    expect(text).toMatch(/inference_errors_total\{kind="forbidden"\} [1-9]/);
    expect(text).not.toContain(KEY_B);
    const logged = t.lines.slice(before).join("");
    expect(logged).toMatch(/unknown API key refused/);
    expect(logged).not.toContain(KEY_B);
  });
});

describe("API keys on both listeners", () => {
  it("installs on two apps sharing one metrics registry (public and admin) without a clash", async () => {
    const metrics = new ServiceMetrics({ defaultMetrics: false });
    const store = goldenStore(pkg);
    const predictor = await Predictor.create(pkg, store, metrics, testConfig());
    const config = testConfig({ apiKeys: { "team-a": KEY_A } });
    const apps = [
      await buildApp({ config, serving: { predictor, store }, metrics, surface: "public" }),
      await buildApp({ config, serving: { predictor, store }, metrics, surface: "admin" }),
    ];
    try {
      for (const app of apps) {
        expect((await app.inject({ method: "POST", url: PREDICT, payload: body, headers: { "x-api-key": KEY_A } })).statusCode).toBe(200);
      }
      expect(await metrics.registry.metrics()).toMatch(/inference_authenticated_requests_total\{key_id="team-a"\} 2/);
    } finally {
      await Promise.all(apps.map((a) => a.close()));
      await predictor.close();
    }
  });
});

describe("requiresApiKey", () => {
  it.each([
    ["/v1/models/fraud:predict", true],
    ["/v2", true],
    ["/v2/models/fraud/versions/1/infer", true],
    ["/v2/health/live", false],
    ["/healthz", false],
    ["/readyz", false],
    ["/metrics", false],
  ])("%s → %s", (path, expected) => expect(requiresApiKey(path)).toBe(expected));
});

describe("API keys from Secrets Manager", () => {
  const endpoint = process.env.TEST_S3_ENDPOINT;
  const client = () => {
    if (!endpoint) throw new Error("TEST_S3_ENDPOINT is not set: the jest global setup starts moto (TEST_SERVERS=s3)");
    return new SecretsManagerClient({ region: "us-east-1", endpoint, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  };
  const warnings: string[] = [];
  const log = { warn: (_obj: object, msg: string) => void warnings.push(msg) };

  it("re-reads the secret, so a rotated key works and the old one stops, without a restart", async () => {
    const sm = client();
    const name = `api-keys-${Date.now()}`;
    const created = await sm.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify({ "team-a": KEY_A }) }));
    const source = await secretKeys({ client: sm, secretArn: created.ARN!, refreshMs: 200, log });
    const t = await appWith({ source });
    try {
      const predict = (key: string) => t.app.inject({ method: "POST", url: PREDICT, payload: body, headers: { "x-api-key": key } });
      expect((await predict(KEY_A)).statusCode).toBe(200);
      expect((await predict(KEY_B)).statusCode).toBe(403);
      await sm.send(new PutSecretValueCommand({ SecretId: created.ARN!, SecretString: JSON.stringify({ "team-b": KEY_B }) }));
      const deadline = Date.now() + 5000;
      while ((await predict(KEY_B)).statusCode !== 200) {
        if (Date.now() > deadline) throw new Error("the rotated key was not accepted within 5 s");
        await new Promise((r) => setTimeout(r, 50));
      }
      expect((await predict(KEY_A)).statusCode).toBe(403);
    } finally {
      await t.close();
    }
  });

  it("refuses protected requests with 503 while the secret cannot be read, and recovers when it can", async () => {
    const sm = client();
    const name = `api-keys-late-${Date.now()}`;
    const source = await secretKeys({ client: sm, secretArn: name, refreshMs: 200, log });
    const t = await appWith({ source });
    try {
      const res = await t.app.inject({ method: "POST", url: PREDICT, payload: body, headers: { "x-api-key": KEY_A } });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ error: "API keys are not available yet; retry later" });
      expect(warnings.join(" ")).toMatch(/API keys unreadable; refusing requests/);
      await sm.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify({ "team-a": KEY_A }) }));
      const deadline = Date.now() + 5000;
      while ((await t.app.inject({ method: "POST", url: PREDICT, payload: body, headers: { "x-api-key": KEY_A } })).statusCode !== 200) {
        if (Date.now() > deadline) throw new Error("keys were not read within 5 s of the secret appearing");
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await t.close();
    }
  });
});
