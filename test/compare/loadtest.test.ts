// The load test's request generator and its guards (the load itself runs by `npm run loadtest`).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stackUrl } from "../../bench/loadtest";
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
