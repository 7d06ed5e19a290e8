// Terminal rendering of estimates and comparisons (the --json output is the plain objects).
import Table from "cli-table3";
import type { Estimate } from "./bill";
import { formatRate } from "./chart";
import type { Comparison } from "./comparison";
import { summarizeCrossovers } from "./crossover";
import type { Workload } from "./workload";

const usd = (n: number) => `$${n.toFixed(2)}`;

function quantity(n: number): string {
  if (n === 0) return "0";
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString("en-US");
  return Number(n.toPrecision(4)).toString();
}

export function estimateTable(e: Estimate): string {
  const t = new Table({ head: ["service", "item", "quantity", "unit", "USD"], colAligns: ["left", "left", "right", "left", "right"], style: { head: [], border: [] } });
  for (const l of e.lines) t.push([l.service, l.item, quantity(l.quantity), l.unit, usd(l.usd)]);
  t.push([{ colSpan: 4, content: "total per month" }, usd(e.totalUsd)]);
  const notes = e.notes.map((n) => `  · ${n}`).join("\n");
  return `${e.label}\n${t.toString()}${notes ? `\n${notes}` : ""}`;
}

export function workloadLine(w: Workload): string {
  return `${formatRate(w.requestsPerSecond)} rps for ${w.activeHoursPerDay} h/day, ${w.meanDurationMs} ms mean, ${w.requestsPerTaskPerSecond} rps per task`;
}

export function comparisonText(c: Comparison, chartPath: string | undefined): string {
  const out: string[] = [];
  out.push(`Monthly cost, ${c.prices.region} prices of ${c.prices.retrieved}, ${c.hoursPerMonth}-hour month.\n`);
  for (const s of c.stacks) {
    out.push(`== stack ${s.stack} (${s.target}): ${workloadLine(s.workload)}`);
    for (const e of s.estimates) out.push(estimateTable(e), "");
  }
  const summary = new Table({ head: ["stack", "target", "monthly total"], colAligns: ["left", "left", "right"], style: { head: [], border: [] } });
  const rows = c.stacks.flatMap((s) => s.estimates.map((e) => ({ stack: s.stack, label: e.label, total: e.totalUsd })));
  rows.sort((a, b) => a.total - b.total);
  for (const r of rows) summary.push([r.stack, r.label, usd(r.total)]);
  out.push("Summary (cheapest first)", summary.toString(), "");

  out.push(`Cheapest option between ${c.range.minRps} and ${c.range.maxRps} rps (each stack's other settings kept):`);
  if (c.crossovers.length === 0) out.push("  the same option is cheapest across the whole range");
  for (const x of summarizeCrossovers(c.crossovers)) {
    out.push(
      x.alternating
        ? `  from ${formatRate(x.requestsPerSecond)} rps: ${x.to} and ${x.from} trade places ${x.alternating.changes} times up to ${formatRate(x.alternating.until)} rps as each adds capacity in steps`
        : `  from ${formatRate(x.requestsPerSecond)} rps: ${x.to} becomes cheaper than ${x.from}`,
    );
  }
  for (const l of c.lambdaLosesTo) {
    out.push(
      l.requestsPerSecond === undefined
        ? `  Lambda behind the ALB stays cheaper than ${l.option} up to ${c.range.maxRps} rps`
        : l.requestsPerSecond <= c.range.minRps
          ? `  Lambda behind the ALB costs more than ${l.option} across the whole range`
          : `  Lambda behind the ALB costs more than ${l.option} from ${formatRate(l.requestsPerSecond)} rps`,
    );
  }
  if (chartPath) out.push("", `Chart of monthly cost against requests per second: ${chartPath}`);
  return out.join("\n");
}
