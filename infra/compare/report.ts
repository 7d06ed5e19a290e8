// What people read: a summary (one line per option, cheapest first within each feature store,
// where the cheapest option changes, warnings), the per-item tables with --detail, as terminal
// text or as Markdown for a pull request or design doc. --json is the plain objects.
import Table from "cli-table3";
import type { Estimate } from "./bill";
import { formatRate } from "./chart";
import type { Comparison, LambdaVersus } from "./comparison";
import { summarizeCrossovers, type RateRange } from "./crossover";
import type { Workload } from "./workload";

export type ReportFormat = "text" | "markdown";

interface TableBlock {
  head: string[];
  align: ("left" | "right")[];
  rows: string[][];
  /** A last row whose first cell spans all but the last column (totals). */
  footer?: [string, string];
}

type Block =
  | { kind: "heading"; text: string }
  | { kind: "text"; text: string }
  | { kind: "table"; table: TableBlock }
  | { kind: "bullets"; items: string[] };

/** Box drawing without a rule between every row. */
const COMPACT = { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" };

const usd = (n: number) => `$${n.toFixed(2)}`;

function quantity(n: number): string {
  if (n === 0) return "0";
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString("en-US");
  return Number(n.toPrecision(4)).toString();
}

function markdownCell(s: string): string {
  return s.replace(/\|/g, "\\|");
}

function render(blocks: Block[], format: ReportFormat): string {
  const out: string[] = [];
  for (const b of blocks) {
    if (b.kind === "heading") out.push(format === "markdown" ? `### ${b.text}` : b.text);
    else if (b.kind === "text") out.push(b.text);
    else if (b.kind === "bullets") out.push(b.items.map((i) => (format === "markdown" ? `- ${i}` : `  · ${i}`)).join("\n"));
    else if (format === "markdown") {
      const t = b.table;
      const rows = [...t.rows, ...(t.footer ? [[`**${t.footer[0]}**`, ...t.head.slice(2).map(() => ""), `**${t.footer[1]}**`]] : [])];
      out.push(
        [
          `| ${t.head.map(markdownCell).join(" | ")} |`,
          `|${t.align.map((a) => (a === "right" ? "---:" : "---")).join("|")}|`,
          ...rows.map((r) => `| ${r.map(markdownCell).join(" | ")} |`),
        ].join("\n"),
      );
    } else {
      const t = b.table;
      const table = new Table({ head: t.head, colAligns: t.align, style: { head: [], border: [] }, chars: COMPACT });
      for (const r of t.rows) table.push(r);
      if (t.footer) table.push([{ colSpan: t.head.length - 1, content: t.footer[0] }, t.footer[1]]);
      out.push(table.toString());
    }
    if (format === "markdown" || b.kind !== "heading") out.push("");
  }
  return out.join("\n").trimEnd();
}

function estimateBlocks(e: Estimate, heading: string): Block[] {
  const blocks: Block[] = [
    { kind: "heading", text: heading },
    {
      kind: "table",
      table: {
        head: ["service", "item", "quantity", "unit", "USD"],
        align: ["left", "left", "right", "left", "right"],
        rows: e.lines.map((l) => [l.service, l.item, quantity(l.quantity), l.unit, usd(l.usd)]),
        footer: ["total per month", usd(e.totalUsd)],
      },
    },
  ];
  const notes = [...e.warnings.map((w) => `warning: ${w}`), ...e.notes];
  if (notes.length > 0) blocks.push({ kind: "bullets", items: notes });
  return blocks;
}

/** One option's bill, line by line (`npm run cost`, and `compare --detail`). */
export function estimateTable(e: Estimate, format: ReportFormat = "text"): string {
  return render(estimateBlocks(e, e.label), format);
}

export function workloadLine(w: Workload): string {
  const peak = w.peakRequestsPerSecond !== undefined && w.peakRequestsPerSecond > w.requestsPerSecond ? ` (peak ${formatRate(w.peakRequestsPerSecond)})` : "";
  return `${formatRate(w.requestsPerSecond)} rps${peak} for ${w.activeHoursPerDay} h/day, ${w.meanDurationMs} ms mean, ${w.requestsPerTaskPerSecond} rps per task`;
}

function rangeText(r: RateRange, c: Comparison): string {
  const fromStart = r.from <= c.range.minRps;
  const toEnd = r.to >= c.range.maxRps;
  if (fromStart && toEnd) return "across the whole range";
  if (fromStart) return `below ${formatRate(r.to)} rps`;
  if (toEnd) return `from ${formatRate(r.from)} rps`;
  return `between ${formatRate(r.from)} and ${formatRate(r.to)} rps`;
}

/** One sentence per pair; never "from the bottom of the range" when Lambda only starts out dearer. */
export function lambdaVersusText(v: LambdaVersus, c: Comparison): string {
  if (v.costsMore.length === 0) return `${v.lambda} stays cheaper than ${v.other} up to ${c.range.maxRps} rps`;
  const spans = v.costsMore.map((r) => rangeText(r, c));
  const cheaper = v.costsMore.length === 1 && v.costsMore[0] && v.costsMore[0].from <= c.range.minRps && v.costsMore[0].to < c.range.maxRps ? ", cheaper above" : "";
  return `${v.lambda} costs more than ${v.other} ${spans.join(", ")}${cheaper}`;
}

function crossoverItems(c: Comparison): string[] {
  const items: string[] = [];
  for (const g of c.groups) {
    if (g.options.length < 2) {
      items.push(`${g.title}: one option only (${g.options.join("")}), nothing to compare it with`);
      continue;
    }
    const summary = summarizeCrossovers(g.crossovers);
    if (summary.length === 0) items.push(`${g.title}: the same option is cheapest across the whole range`);
    for (const x of summary) {
      items.push(
        x.alternating
          ? `${g.title}: from ${formatRate(x.requestsPerSecond)} rps ${x.to} and ${x.from} trade places ${x.alternating.changes} times up to ${formatRate(x.alternating.until)} rps as each adds capacity in steps`
          : `${g.title}: from ${formatRate(x.requestsPerSecond)} rps ${x.to} becomes cheaper than ${x.from}`,
      );
    }
    for (const v of g.lambdaVersus) items.push(lambdaVersusText(v, c));
  }
  return items;
}

export interface ReportOptions {
  format: ReportFormat;
  detail: boolean;
  chartPath: string | undefined;
}

export function comparisonReport(c: Comparison, o: ReportOptions): string {
  const blocks: Block[] = [];
  const unconfirmed = c.prices.unconfirmed.length;
  blocks.push({
    kind: "text",
    text: `Monthly cost, ${c.prices.region} prices of ${c.prices.retrieved}${unconfirmed > 0 ? ` (${unconfirmed} figures marked "check": confirm them before relying on those lines)` : ""}, ${c.hoursPerMonth}-hour month, as of ${c.prices.asOf}.`,
  });
  for (const g of c.groups) {
    const rows = c.stacks
      .flatMap((s) => s.estimates.filter((e) => e.featureStore === g.featureStore).map((e) => ({ s, e })))
      .sort((a, b) => a.e.totalUsd - b.e.totalUsd);
    blocks.push(
      { kind: "heading", text: `${g.title}, cheapest first` },
      {
        kind: "table",
        table: {
          head: ["stack", "option", "traffic", "monthly"],
          align: ["left", "left", "left", "right"],
          rows: rows.map(({ s, e }) => [s.stack, e.label, `${formatRate(s.workload.requestsPerSecond)} rps, ${s.workload.meanDurationMs} ms`, usd(e.totalUsd)]),
        },
      },
    );
  }
  blocks.push({ kind: "heading", text: `Where the cheapest option changes (${c.range.minRps}–${c.range.maxRps} rps, each stack's other settings kept; options compared within one feature store)` });
  blocks.push({ kind: "bullets", items: crossoverItems(c) });
  const warnings = c.stacks.flatMap((s) => [...new Set(s.estimates.flatMap((e) => e.warnings))].map((w) => `${s.stack}: ${w}`));
  if (warnings.length > 0) blocks.push({ kind: "heading", text: "Warnings" }, { kind: "bullets", items: warnings });
  if (o.detail) {
    for (const s of c.stacks) {
      blocks.push({ kind: "heading", text: `Stack ${s.stack} (${s.target}): ${workloadLine(s.workload)}` });
      for (const e of s.estimates) blocks.push(...estimateBlocks(e, e.label));
    }
  }
  const tail: string[] = [];
  if (o.chartPath) tail.push(`Chart of monthly cost against requests per second: ${o.chartPath}`);
  if (!o.detail) tail.push("Per-item bills, capacity and notes: --detail. For a pull request or design doc: --format markdown.");
  if (tail.length > 0) blocks.push({ kind: "text", text: tail.join("\n") });
  return render(blocks, o.format);
}
