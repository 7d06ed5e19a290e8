// The load test's request generator and its guards (the load itself runs by `npm run loadtest`).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { drive, measureColdStart, report, stackUrl, usageFromLoadtest } from "../../bench/loadtest";
import { main as compareMain } from "../../infra/compare/cli";
import { loadConfig } from "../../service/src/config";
import { createLambdaHandler } from "../../service/src/lambda-handler";
import { startServer } from "../../service/src/server";
import { isLoopback, predictPath, predictRequests, readManifest } from "../../bench/loadtest-requests";

describe("load test requests", () => {
  const manifest = readManifest();
  const requests = predictRequests(manifest);

  it("builds one predict request per golden case, addressed to the manifest's model", () => {
    const golden = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../models/fraud/golden.json"), "utf8"));
    expect(requests).toHaveLength(golden.cases.length);
    expect(new Set(requests.map((r) => r.path))).toEqual(new Set([predictPath(manifest)]));
    expect(predictPath(manifest)).toBe(`/v1/models/${manifest.name}:predict`);
  });

  it("sends the manifest's join keys as the entity and only its request fields as features", () => {
    const keys = manifest.entities.map((e) => e.name).sort();
    const fields = new Set(manifest.features.flatMap((f) => (f.source.kind === "request" ? [f.source.field] : [])));
    for (const r of requests) {
      const body = JSON.parse(r.body);
      expect(Object.keys(body.entity).sort()).toEqual(keys);
      for (const f of Object.keys(body.features)) expect(fields.has(f)).toBe(true);
      expect(Object.keys(body.features).length).toBeGreaterThan(0);
    }
  });

  it("varies the entities, as real traffic does", () => {
    const entities = new Set(requests.map((r) => JSON.stringify(JSON.parse(r.body).entity)));
    expect(entities.size).toBeGreaterThan(5);
  });
});

describe("load test guards", () => {
  it.each(["http://127.0.0.1:8080", "http://localhost:3000", "http://[::1]:8080", "http://127.8.9.10"])("accepts loopback %s", (u) => {
    expect(isLoopback(new URL(u))).toBe(true);
  });

  it.each(["http://10.0.0.5", "http://192.168.1.1", "https://api.example.com", "http://128.0.0.1", "http://127.0.0.1.example.com"])("refuses %s", (u) => {
    expect(isLoopback(new URL(u))).toBe(false);
  });

  it("--stack explains it needs the stack's outputs, there being no Pulumi CLI here", () => {
    expect(() => stackUrl("fargate", undefined)).toThrow(/pulumi stack output --json --stack fargate > fargate-outputs.json/);
  });

  it("--stack reads the url output from the saved outputs", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lt-")), "out.json");
    fs.writeFileSync(file, JSON.stringify({ url: "http://127.0.0.1:9" }));
    expect(stackUrl("x", file)).toBe("http://127.0.0.1:9");
    fs.writeFileSync(file, JSON.stringify({ bucket: "b" }));
    expect(() => stackUrl("x", file)).toThrow(/has no "url" output/);
  });
});

// Defect 9: a local run's figures flow into the comparison, and latency keeps sub-millisecond detail.
describe("a bounded local run (2 s) feeds npm run compare", () => {
  const requests = predictRequests(readManifest());
  let lt: { result: Awaited<ReturnType<typeof drive>>; cold: Awaited<ReturnType<typeof measureColdStart>> };

  beforeAll(async () => {
    const config = { ...loadConfig({}), host: "127.0.0.1", port: 0, logLevel: "silent" as const };
    const cold = await measureColdStart(requests, config, () => ({ createLambdaHandler }));
    const server = await startServer(config);
    try {
      lt = { result: await drive(server.url, requests, { connections: 2, duration: 2 }), cold };
    } finally {
      await server.close();
    }
  }, 60_000);

  it("records latency in microseconds, not whole milliseconds", () => {
    const { latencyMs, requests: n, non2xx } = lt.result;
    expect(n).toBeGreaterThan(0);
    expect(non2xx).toBe(0);
    expect(latencyMs.p50).toBeGreaterThan(0);
    // Whole milliseconds for p50, p90 and p99 alike is what a 1 ms histogram gives.
    expect([latencyMs.p50, latencyMs.p90, latencyMs.p99].every((v) => Number.isInteger(v))).toBe(false);
    expect(report(lt.result, lt.cold, undefined)).toMatch(/p50 \d+\.\d{3}/);
  });

  it("writes a usage file: per-task rps scaled by the task's vCPU share of the machine's cores, the warm Lambda duration", async () => {
    const usage = usageFromLoadtest(lt.result, lt.cold, { taskVcpu: 0.25, machineCores: 2 });
    expect(usage.traffic?.requestsPerTaskPerSecond).toBeCloseTo(lt.result.requestsPerSecond * 0.125, 2);
    expect(usage.traffic?.meanDurationMs).toBeCloseTo(lt.cold.warmEventMs, 3);
    expect(String(usage.measured?.scaling)).toMatch(/req\/s measured × \(0.25 task vCPU \/ 2 cores\)/);
    expect(report(lt.result, lt.cold, usage)).toMatch(/requestsPerTaskPerSecond .* \(requestsPerTaskPerSecond = .* × \(0.25 task vCPU \/ 2 cores\)/);

    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lt-usage-")), "lt.json");
    fs.writeFileSync(file, JSON.stringify(usage));
    const out: string[] = [];
    const err: string[] = [];
    const code = await compareMain(["cost", "fargate", "--rps", "10", "--usage", file, "--json"], (s) => out.push(s), (s) => err.push(s));
    expect(err.join("")).toBe("");
    expect(code).toBe(0);
    const priced = JSON.parse(out.join(""));
    expect(priced.workload.requestsPerTaskPerSecond).toBe(usage.traffic?.requestsPerTaskPerSecond);
    expect(priced.workload.meanDurationMs).toBe(usage.traffic?.meanDurationMs);
  });
});
