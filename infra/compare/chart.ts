// The chart of monthly cost against request rate, drawn with Vega-Lite and rendered headless to
// SVG by Vega (no browser or canvas needed), so any browser or image viewer opens it. Costs are
// step functions (tasks and instances are added whole) and are drawn as steps; a container curve
// stops, marked, where its autoscaling maximum is reached; crossovers are numbered on the plot and
// spelled out in a list under it, so no label sits on another or on a curve.
import * as vega from "vega";
import * as vegaLite from "vega-lite";
import type { FeatureStoreKind } from "./bill";
import { summarizeCrossovers, type Crossover } from "./crossover";

export interface ChartSeries {
  name: string;
  featureStore: FeatureStoreKind;
  points: { requestsPerSecond: number; usd: number }[];
  /** Above this rate the option needs more tasks than its autoscaling maximum. */
  capacityLimit?: { requestsPerSecond: number; setting: string };
}

export interface ChartInput {
  title: string;
  subtitle: string;
  series: ChartSeries[];
  /** Crossovers with the group they belong to (e.g. "Redis"). */
  crossovers: (Crossover & { group: string })[];
}

const WIDTH = 760;
const HEIGHT = 420;
const LINE_HEIGHT = 15;

export function crossoverLabels(crossovers: ChartInput["crossovers"]): { n: number; rps: number; label: string }[] {
  const groups = [...new Set(crossovers.map((c) => c.group))];
  return groups.flatMap((group) =>
    summarizeCrossovers(crossovers.filter((c) => c.group === group)).map((c) => ({
      rps: c.requestsPerSecond,
      label: c.alternating
        ? `${group}: from ${formatRate(c.requestsPerSecond)} rps ${c.to} and ${c.from} trade places ${c.alternating.changes} times up to ${formatRate(c.alternating.until)} rps`
        : `${group}: from ${formatRate(c.requestsPerSecond)} rps ${c.to} is cheapest (was ${c.from})`,
    })),
  ).map((m, i) => ({ ...m, n: i + 1 }));
}

export function chartSpec(input: ChartInput): vegaLite.TopLevelSpec {
  const values = input.series.flatMap((s) =>
    s.points
      .filter((p) => s.capacityLimit === undefined || p.requestsPerSecond <= s.capacityLimit.requestsPerSecond)
      .map((p) => ({ option: s.name, store: s.featureStore, rps: p.requestsPerSecond, usd: p.usd })),
  );
  const limits = input.series.flatMap((s) => {
    if (!s.capacityLimit) return [];
    const inside = s.points.filter((p) => p.requestsPerSecond <= (s.capacityLimit as { requestsPerSecond: number }).requestsPerSecond);
    const last = inside[inside.length - 1];
    const beyond = s.points.some((p) => p.requestsPerSecond > (s.capacityLimit as { requestsPerSecond: number }).requestsPerSecond);
    return last && beyond ? [{ option: s.name, rps: last.requestsPerSecond, usd: last.usd }] : [];
  });
  const marks = crossoverLabels(input.crossovers);
  const x = { field: "rps", type: "quantitative", scale: { type: "log" }, title: "requests per second (mean over active hours)" } as const;
  const y = { field: "usd", type: "quantitative", scale: { type: "log" }, title: "monthly cost, USD (log scale)" } as const;
  const notes = [
    ...(limits.length > 0 ? ["×: the autoscaling maximum (scaling.maxCount) is reached; the curve stops there"] : []),
    "solid: Redis; dashed: Keyspaces; dash-dot: DynamoDB; dotted: embedded features. Steps: a task, instance or node is added whole.",
    ...marks.map((m) => `(${m.n}) ${m.label}`),
  ].map((text, i) => ({ i, text }));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: { text: input.title, subtitle: input.subtitle, anchor: "start", offset: 4 },
    background: "white",
    padding: 12,
    vconcat: [
      {
        width: WIDTH,
        height: HEIGHT,
        layer: [
          {
            data: { values },
            mark: { type: "line", strokeWidth: 2, interpolate: "linear" },
            encoding: {
              x,
              y,
              color: { field: "option", type: "nominal", title: "stack: option", legend: { orient: "bottom", direction: "vertical", columns: 2, labelLimit: 0, symbolType: "stroke" } },
              strokeDash: {
                field: "store",
                type: "nominal",
                scale: { domain: ["redis", "keyspaces", "dynamodb", "embedded"], range: [[1, 0], [6, 3], [8, 3, 2, 3], [2, 2]] },
                legend: null,
              },
            },
          },
          {
            data: { values: limits },
            mark: { type: "point", shape: "cross", size: 120, filled: true, strokeWidth: 1 },
            encoding: { x, y, color: { field: "option", type: "nominal" } },
          },
          {
            data: { values: marks },
            mark: { type: "rule", strokeDash: [4, 4], color: "#888" },
            encoding: { x: { field: "rps", type: "quantitative" } },
          },
          {
            // Numbers at the top of the rules, staggered so close crossovers do not overlap.
            data: { values: marks.map((m, i) => ({ ...m, tag: `(${m.n})`, yPx: 6 + (i % 4) * 12 })) },
            mark: { type: "text", align: "left", dx: 3, fontSize: 10, fontWeight: "bold", color: "#333" },
            encoding: { x: { field: "rps", type: "quantitative" }, y: { field: "yPx", type: "quantitative", scale: null }, text: { field: "tag" } },
          },
        ],
      },
      {
        width: WIDTH,
        height: notes.length * LINE_HEIGHT,
        data: { values: notes },
        mark: { type: "text", align: "left", baseline: "top", fontSize: 11, color: "#333" },
        encoding: {
          x: { value: 0 },
          y: { field: "i", type: "quantitative", scale: { domain: [0, notes.length], range: [0, notes.length * LINE_HEIGHT] }, axis: null },
          text: { field: "text" },
        },
      },
    ],
    config: { view: { stroke: null }, legend: { labelFontSize: 11 } },
  } as vegaLite.TopLevelSpec;
}

export async function renderSvg(input: ChartInput): Promise<string> {
  const compiled = vegaLite.compile(chartSpec(input)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function formatRate(rps: number): string {
  if (rps >= 100) return rps.toFixed(0);
  if (rps >= 1) return rps.toFixed(1);
  return rps.toPrecision(2);
}
