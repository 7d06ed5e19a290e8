// The HTTP server entry: listens, answers, and on SIGTERM drains in-flight requests then exits 0.
import { spawn } from "node:child_process";
import * as path from "node:path";
import { buildApp } from "../../service/src/app";
import type { FeatureStore } from "../../service/src/features/store";
import { ServiceMetrics } from "../../service/src/metrics";
import { Predictor } from "../../service/src/predictor";
import { drain, startServer } from "../../service/src/server";
import { examplePackage, golden, goldenStore, testConfig } from "./fixtures";

const known = golden.cases.find((c) => Object.keys(c.online).length > 0)!;
const body = JSON.stringify({ entity: known.entity, features: known.request });
const post = (url: string) => fetch(`${url}/v1/models/fraud:predict`, { method: "POST", headers: { "content-type": "application/json" }, body });

describe("HTTP server", () => {
  it("serves predictions on the configured port with the embedded store", async () => {
    const server = await startServer(testConfig({ port: 0, host: "127.0.0.1" }));
    const res = await post(server.url);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { label: string }).label).toBe(known.expected.label);
    await server.close();
  });

  it("finishes in-flight requests when closing", async () => {
    const pkg = await examplePackage();
    const fast = goldenStore(pkg);
    const slow: FeatureStore = {
      kind: "slow",
      get: async (q) => {
        await new Promise((r) => setTimeout(r, 300));
        return fast.get(q);
      },
      ready: async () => true,
      close: async () => {},
    };
    const metrics = new ServiceMetrics({ defaultMetrics: false });
    const predictor = await Predictor.create(pkg, slow, metrics, testConfig());
    const app = await buildApp({ config: testConfig(), serving: { predictor, store: slow }, metrics });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.server.address();
    const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    const inFlight = post(url);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    const closed = drain(app);
    const res = await inFlight;
    expect(res.status).toBe(200);
    await closed;
    // Not held for the keep-alive timeout by the connection that was busy.
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(post(url)).rejects.toThrow();
    await predictor.close();
  });

  it("exits 0 on SIGTERM after logging that it drains", async () => {
    const root = path.resolve(__dirname, "..", "..");
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "service/src/server.ts"], {
      cwd: root,
      env: { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 45_000);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code} before listening: ${output}`));
      });
      child.stdout.on("data", () => {
        const m = /listening on (http:\/\/[0-9.:]+)/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    expect((await post(url)).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(output).toMatch(/SIGTERM: draining in-flight requests/);
  });
});
