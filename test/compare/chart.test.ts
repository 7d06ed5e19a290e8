// The chart as people see it: rendered to PNG by rsvg-convert (librsvg, installed by
// .ci/install-test-servers.sh), with whole legend labels, nothing cut at the image's edges,
// steps drawn as steps and curves stopped and marked at the autoscaling maximum.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PNG } from "pngjs";
import { chartSpec, renderSvg, type ChartInput } from "../../infra/compare/chart";
import { compareStacks } from "../../infra/compare/comparison";
import { loadPrices } from "../../infra/compare/prices";
import { readStacks, STACKS_DIR } from "../../infra/compare/stacks";

const prices = loadPrices();
let input: ChartInput;
let svg: string;
let png: PNG;
const out = fs.mkdtempSync(path.join(os.tmpdir(), "compare-chart-"));

beforeAll(async () => {
  // The shipped stacks: two Lambda options per feature store, whose labels differ only at the end.
  const c = compareStacks(readStacks(STACKS_DIR), undefined, {}, { hours: 730, asOf: "2026-11-30" }, prices, { minRps: 0.01, maxRps: 5000, points: 60 });
  input = {
    title: "Monthly cost against request rate",
    subtitle: "test",
    series: c.series,
    crossovers: c.groups.flatMap((g) => g.crossovers.map((x) => ({ ...x, group: g.featureStore }))),
  };
  svg = await renderSvg(input);
  fs.writeFileSync(path.join(out, "chart.svg"), svg);
  execFileSync("rsvg-convert", [path.join(out, "chart.svg"), "-o", path.join(out, "chart.png")]);
  png = PNG.sync.read(fs.readFileSync(path.join(out, "chart.png")));
}, 60_000);
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

describe("the cost chart", () => {
  it("labels every curve in the legend in full, so the Lambda options can be told apart", () => {
    const names = input.series.map((s) => s.name);
    expect(names).toContain("Lambda + ALB · Redis (lambda)");
    expect(names).toContain("Lambda + HTTP API (ALB idle) · Redis (lambda)");
    expect(new Set(names).size).toBe(names.length);
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace(/&amp;/g, "&").replace(/&#183;|&middot;/g, "·"));
    for (const name of names) expect(texts).toContain(name);
    expect(texts.some((t) => t.endsWith("…"))).toBe(false);
  });

  it("renders to a PNG with a white margin on every edge: nothing is cut off", () => {
    expect(png.width).toBeGreaterThan(700);
    const white = (x: number, y: number) => {
      const i = (png.width * y + x) * 4;
      return png.data[i]! > 245 && png.data[i + 1]! > 245 && png.data[i + 2]! > 245;
    };
    for (let x = 0; x < png.width; x++) expect(white(x, 0) && white(x, png.height - 1)).toBe(true);
    for (let y = 0; y < png.height; y++) expect(white(0, y) && white(png.width - 1, y)).toBe(true);
  });

  it("numbers the crossovers on the plot and spells them out under it, instead of labels on the curves", () => {
    const spec = JSON.stringify(chartSpec(input));
    expect(input.crossovers.length).toBeGreaterThan(0);
    expect(spec).toMatch(/"\(1\) redis: from [\d.]+ rps /);
    expect(spec).not.toMatch(/"angle":270/);
  });

  it("draws a step (a task added whole) as a near-vertical rise, not a slope between samples", () => {
    const fargate = input.series.find((s) => s.name === "ECS Fargate · Redis (fargate)")!;
    const pts = fargate.points;
    // 300 rps per task: the second task starts just above 300 rps.
    const i = pts.findIndex((p) => p.requestsPerSecond > 300);
    const [before, after] = [pts[i - 1]!, pts[i]!];
    expect(after.requestsPerSecond / before.requestsPerSecond).toBeLessThan(1.001);
    expect(after.usd - before.usd).toBeGreaterThan(5);
  });

  it("stops a container curve at scaling.maxCount and marks the spot", () => {
    const fargate = input.series.find((s) => s.name === "ECS Fargate · Redis (fargate)")!;
    expect(fargate.capacityLimit).toEqual({ requestsPerSecond: 4 * 300, setting: "fargate.scaling.maxCount 4" });
    const spec = chartSpec(input) as unknown as { vconcat: { layer: { data: { values: { option: string; rps: number }[] }; mark: { shape?: string } }[] }[] };
    const [lines, crosses] = spec.vconcat[0]!.layer;
    expect(Math.max(...lines!.data.values.filter((v) => v.option === fargate.name).map((v) => v.rps))).toBeLessThanOrEqual(1200);
    expect(crosses!.mark.shape).toBe("cross");
    expect(crosses!.data.values.map((v) => v.option)).toContain(fargate.name);
  });
});
