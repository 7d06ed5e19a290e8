// The chart of monthly cost against request rate, drawn with Vega-Lite and rendered headless to
// SVG by Vega (no browser or canvas needed), so any browser or image viewer opens it.
import * as vega from "vega";
import * as vegaLite from "vega-lite";
import { summarizeCrossovers, type Crossover } from "./crossover";

export interface ChartSeries {
  name: string;
  points: { requestsPerSecond: number; usd: number }[];
}

export interface ChartInput {
  title: string;
  subtitle: string;
  series: ChartSeries[];
  crossovers: Crossover[];
}

export function chartSpec(input: ChartInput): vegaLite.TopLevelSpec {
  const values = input.series.flatMap((s) => s.points.map((p) => ({ option: s.name, rps: p.requestsPerSecond, usd: p.usd })));
  const marks = summarizeCrossovers(input.crossovers).map((c) => ({
    rps: c.requestsPerSecond,
    label: c.alternating ? `${c.to} / ${c.from} alternate from ${formatRate(c.requestsPerSecond)} rps` : `${c.to} cheapest from ${formatRate(c.requestsPerSecond)} rps`,
  }));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: { text: input.title, subtitle: input.subtitle, anchor: "start" },
    width: 720,
    height: 420,
    background: "white",
    layer: [
      {
        data: { values },
        mark: { type: "line", strokeWidth: 2 },
        encoding: {
          x: { field: "rps", type: "quantitative", scale: { type: "log" }, title: "requests per second (mean over active hours)" },
          y: { field: "usd", type: "quantitative", scale: { type: "log" }, title: "monthly cost, USD (log scale)" },
          color: { field: "option", type: "nominal", title: "target", legend: { orient: "top-left", labelLimit: 320 } },
        },
      },
      {
        data: { values: marks },
        mark: { type: "rule", strokeDash: [4, 4], color: "#666" },
        encoding: { x: { field: "rps", type: "quantitative" } },
      },
      {
        data: { values: marks },
        mark: { type: "text", angle: 270, align: "left", baseline: "bottom", dx: 6, dy: -2, fontSize: 10, color: "#333" },
        encoding: { x: { field: "rps", type: "quantitative" }, y: { value: 410 }, text: { field: "label" } },
      },
    ],
  };
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
