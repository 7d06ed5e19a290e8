// The compare and cost commands end to end in-process, and once as a real process for the exit code.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../../infra/compare/cli";

const FIXTURES = path.join(__dirname, "fixtures", "stacks");
const ROOT = path.resolve(__dirname, "..", "..");

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (s) => out.push(s), (s) => err.push(s));
  return { code, out: out.join("\n"), err: err.join("\n") };
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "compare-cli-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("npm run compare", () => {
  it("summarizes every stack's options, cheapest first, with where Lambda stops being cheapest, and writes an SVG chart", async () => {
    const chart = path.join(tmp, "chart.svg");
    const r = await run("compare", "--stacks", FIXTURES, "--chart", chart, "--as-of", "2026-06-01");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Feature store: Redis, cheapest first/);
    const rows = r.out.split("\n").filter((l) => /· Redis/.test(l));
    expect(rows).toHaveLength(5);
    const totals = rows.map((l) => Number(/\$([\d.]+)/.exec(l)?.[1]));
    expect(totals).toEqual([...totals].sort((a, b) => a - b));
    expect(r.out).toMatch(/ECS Fargate \(fargate\) becomes cheaper than Lambda \+ ALB \(lambda\)/);
    expect(r.out).toMatch(/Lambda \+ ALB \(lambda\) costs more than ECS on EC2 \(ec2\) from [\d.]+ rps/);
    // The summary is short: no per-item tables unless --detail.
    expect(r.out).not.toMatch(/load balancer hours/);
    expect(r.out.split("\n").length).toBeLessThan(40);
    const svg = fs.readFileSync(chart, "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("ECS Fargate · Redis (fargate)");
  });

  it("--detail adds every option's bill line by line, its capacity notes and warnings", async () => {
    const r = await run("compare", "--stacks", FIXTURES, "--no-chart", "--detail", "--as-of", "2026-11-30");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Stack eks \(eks\): 20\.0 rps/);
    expect(r.out).toMatch(/load balancer hours/);
    expect(r.out).toMatch(/public IPv4 addresses/);
    expect(r.out).toMatch(/warning: Kubernetes 1.33 left standard support/);
    expect(r.out).toMatch(/Warnings\n {2}· eks: Kubernetes 1.33/);
  });

  it("--format markdown gives tables and bullets a pull request renders", async () => {
    const r = await run("compare", "--stacks", FIXTURES, "--no-chart", "--format", "markdown");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^### Feature store: Redis, cheapest first$/m);
    expect(r.out).toMatch(/^\| stack \| option \| traffic \| monthly \|$/m);
    expect(r.out).toMatch(/^\|---\|---\|---\|---:\|$/m);
    expect(r.out).toMatch(/^- Feature store: Redis: from /m);
    expect(r.out).not.toMatch(/[┌│]/);
  });

  // Defect 8: a Keyspaces stack is ranked with Keyspaces options, not against Redis compute targets.
  it("groups options by feature store and never reports a crossover between stores", async () => {
    const dir = path.join(tmp, "stores");
    fs.mkdirSync(dir);
    for (const f of fs.readdirSync(FIXTURES)) fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, f));
    fs.copyFileSync(path.join(ROOT, "stacks", "Pulumi.lambda-keyspaces.yaml"), path.join(dir, "Pulumi.lambda-keyspaces.yaml"));
    const r = await run("compare", "--stacks", dir, "--no-chart", "--json");
    const json = JSON.parse(r.out);
    const groups = json.groups.map((g: { featureStore: string; options: string[] }) => [g.featureStore, g.options.length]);
    expect(groups).toEqual([["redis", 5], ["keyspaces", 2]]);
    const keyspaces = json.groups.find((g: { featureStore: string }) => g.featureStore === "keyspaces");
    expect(keyspaces.options).toEqual(["Lambda + ALB (lambda-keyspaces)", "Lambda + HTTP API (ALB idle) (lambda-keyspaces)"]);
    for (const g of json.groups) {
      for (const x of g.crossovers) {
        expect(g.options).toContain(x.from);
        expect(g.options).toContain(x.to);
      }
    }
    const text = (await run("compare", "--stacks", dir, "--no-chart")).out;
    expect(text).toMatch(/Feature store: Keyspaces, cheapest first/);
    expect(text).toMatch(/lambda-keyspaces +│ Lambda \+ ALB · Keyspaces/);
  });

  it("--peak-rps sizes the containers for the peak", async () => {
    const r = await run("compare", "--stacks", FIXTURES, "--stack", "fargate", "--no-chart", "--json", "--rps", "300", "--peak-rps", "1200");
    const json = JSON.parse(r.out);
    expect(json.stacks[0].workload.peakRequestsPerSecond).toBe(1200);
    expect(json.stacks[0].estimates[0].notes.join(" ")).toMatch(/4 task\(s\) .*sized for the 1200 rps peak/);
  });

  it("--json gives the estimates, crossovers and the price table's date", async () => {
    const r = await run("compare", "--stacks", FIXTURES, "--no-chart", "--json", "--rps", "100", "--duration-ms", "20");
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.prices).toMatchObject({ region: "us-east-1", retrieved: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), asOf: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    expect(json.stacks).toHaveLength(4);
    expect(json.stacks[0].workload.requestsPerSecond).toBe(100);
    expect(json.stacks[0].workload.meanDurationMs).toBe(20);
    const lambda = json.stacks.find((s: { stack: string }) => s.stack === "lambda");
    expect(lambda.estimates.map((e: { option: string }) => e.option)).toEqual(["lambda-alb", "lambda-httpapi"]);
    expect(json.groups[0].crossovers.length).toBeGreaterThan(0);
  });

  it("refuses an unknown stack, naming the known ones", async () => {
    const r = await run("compare", "--stacks", FIXTURES, "--stack", "staging", "--no-chart");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown stack "staging".*expected one of ec2, eks, fargate, lambda/s);
  });

  it("refuses a stack without a traffic profile unless --rps is given", async () => {
    const dir = path.join(tmp, "no-traffic");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "Pulumi.bare.yaml"), "config:\n  inference-blueprint:computeTarget: fargate\n");
    const r = await run("compare", "--stacks", dir, "--no-chart");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/stack "bare" .* has no traffic profile: add "inference-blueprint:traffic"/);
    expect((await run("compare", "--stacks", dir, "--no-chart", "--rps", "5")).code).toBe(0);
  });

  it("refuses a stack the platform's validateConfig refuses, with its problems", async () => {
    const dir = path.join(tmp, "invalid");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "Pulumi.x.yaml"), "config:\n  inference-blueprint:computeTarget: mainframe\n  inference-blueprint:traffic: { requestsPerSecond: 1 }\n");
    const r = await run("compare", "--stacks", dir, "--no-chart");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/stack "x" .*computeTarget: "mainframe" is not one of lambda, fargate, ec2, eks/s);
  });

  it.each([
    [["--rps=-3"], /--rps "-3": expected a number from 0 to/],
    [["--rps", "-3"], /Option '--rps' argument is ambiguous/],
    [["--rps", "abc"], /--rps "abc"/],
    [["--duration-ms", "0"], /--duration-ms "0"/],
    [["--rps", "1e12"], /--rps "1e12"/],
    [["--bogus"], /Unknown option '--bogus'/],
    [["--prices", "/nonexistent/prices.json"], /price file \/nonexistent\/prices.json cannot be read/],
    [["--format", "html"], /--format "html": expected text or markdown/],
    [["--as-of", "yesterday"], /--as-of "yesterday": expected a date YYYY-MM-DD/],
    [["--rps", "10", "--peak-rps", "5"], /peakRequestsPerSecond 5: expected at least the mean/],
  ])("refuses %j with a clear message and exit code 2", async (flags, message) => {
    const r = await run("compare", "--stacks", FIXTURES, "--no-chart", ...flags);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});

describe("npm run cost", () => {
  it("prices Lambda from flags: AWS's 3 M requests example gives the same compute lines", async () => {
    const r = await run("cost", "lambda", "--requests-per-month", "3000000", "--duration-ms", "120", "--memory-mb", "1536", "--architecture", "x86_64", "--free-tier", "--json");
    expect(r.err).toBe("");
    const json = JSON.parse(r.out);
    const alb = json.estimates[0];
    const lambdaLines = alb.lines.filter((l: { service: string }) => l.service === "Lambda").map((l: { usd: number }) => l.usd);
    expect(lambdaLines).toEqual([2.33, 0.4]);
    expect(json.estimates.map((e: { option: string }) => e.option)).toEqual(["lambda-alb", "lambda-httpapi"]);
  });

  it("takes a usage file (the shipped example)", async () => {
    const r = await run("cost", "fargate", "--usage", path.join(ROOT, "infra", "compare", "usage.example.json"));
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain("ECS Fargate · Redis");
    expect(r.out).toContain("cache.t4g.small node-hours");
    expect(r.out).toMatch(/for 16 h\/day, 12 ms mean, 250 rps per task/);
  });

  // Defect 3, end to end: the command.
  it("ec2 --rps 2000 packs 2 awsvpc tasks per t4g.small, limited by its network interfaces", async () => {
    const r = await run("cost", "ec2", "--rps", "2000");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/7 task\(s\), 2 per t4g.small \(limited by network interfaces\): 4 instance\(s\)/);
    expect(r.out).toMatch(/warning: 4 instances needed but ec2.maxInstances is 3/);
  });

  it.each([
    [["cost", "mainframe", "--rps", "1"], /unknown target "mainframe": expected one of lambda, fargate, ec2, eks/],
    [["cost"], /cost: name a target/],
    [["cost", "fargate"], /missing traffic profile: pass --rps N or --requests-per-month N/],
    [["cost", "fargate", "--rps", "1", "--requests-per-month", "5"], /not both/],
    [["cost", "fargate", "--rps", "1", "--cpu", "300"], /cost fargate:\n {2}- fargate/],
    [["cost", "lambda", "--rps", "1", "--instance-type", "c7g.large"], /--instance-type applies to ec2 and eks/],
    [["cost", "ec2", "--rps", "1", "--instance-type", "c8g.large"], /instance type "c8g.large" has no price in the us-east-1 table; expected one of/],
    [["cost", "ec2", "--rps", "1", "--instance-type", "c7i.large"], /c7i.large cannot run the arm64 image/],
    [["nonsense"], /unknown command "nonsense"/],
  ])("%j → exit 2 with one clear message", async (argv, message) => {
    const r = await run(...(argv as string[]));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  // Defect 5, end to end: Fargate Spot runs ARM64 tasks, and the config no longer refuses it.
  it("prices Fargate Spot on arm64", async () => {
    const r = await run("cost", "fargate", "--rps", "10", "--architecture", "arm64", "--spot-percent", "50");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/vCPU-hours \(Spot\) \(arm64\)/);
    expect(r.out).toMatch(/50% of task-hours on Fargate Spot \(arm64\)/);
  });

  it("refuses a usage file with an unknown key, naming it", async () => {
    const file = path.join(tmp, "usage.json");
    fs.writeFileSync(file, JSON.stringify({ traffic: { requestsPerSecond: 1 }, usage: { requestByte: 3 } }));
    const r = await run("cost", "fargate", "--usage", file);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/usage file .* is not valid/);
    expect(r.err).toMatch(/\/usage\/requestByte/);
  });
});

describe("the real command", () => {
  it("exits 2 with one line and no stack trace for an unknown stack", async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [require.resolve("ts-node/dist/bin.js"), "--transpile-only", path.join(ROOT, "infra/compare/cli.ts"), "compare", "--stacks", FIXTURES, "--stack", "nope"],
        { cwd: ROOT, timeout: 120_000 },
        (error, _stdout, stderr) => resolve({ code: error ? (error as { code?: number }).code ?? null : 0, stderr }),
      );
    });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^error: unknown stack "nope"/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
