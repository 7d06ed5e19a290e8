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
  it("prices every stack with its breakdown, finds where Lambda stops being cheapest and writes an SVG chart", async () => {
    const chart = path.join(tmp, "chart.svg");
    const r = await run("compare", "--stacks", FIXTURES, "--chart", chart);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    for (const stack of ["lambda", "fargate", "ec2", "eks"]) expect(r.out).toContain(`== stack ${stack} (${stack})`);
    expect(r.out).toMatch(/ECS on Fargate becomes cheaper than Lambda behind the ALB/);
    expect(r.out).toMatch(/Lambda behind the ALB costs more than ECS on EC2 from [\d.]+ rps/);
    const svg = fs.readFileSync(chart, "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("ECS on Fargate");
  });

  it("--json gives the estimates, crossovers and the price table's date", async () => {
    const r = await run("compare", "--stacks", FIXTURES, "--no-chart", "--json", "--rps", "100", "--duration-ms", "20");
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.prices).toEqual({ region: "us-east-1", retrieved: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    expect(json.stacks).toHaveLength(4);
    expect(json.stacks[0].workload.requestsPerSecond).toBe(100);
    expect(json.stacks[0].workload.meanDurationMs).toBe(20);
    const lambda = json.stacks.find((s: { stack: string }) => s.stack === "lambda");
    expect(lambda.estimates.map((e: { option: string }) => e.option)).toEqual(["lambda-alb", "lambda-httpapi"]);
    expect(json.crossovers.length).toBeGreaterThan(0);
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
    expect(r.out).toContain("ECS on Fargate");
    expect(r.out).toContain("cache.t4g.small node-hours");
    expect(r.out).toMatch(/for 16 h\/day, 12 ms mean, 250 rps per task/);
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
