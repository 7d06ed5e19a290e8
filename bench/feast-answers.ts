// Compares two answers of POST /get-online-features (Feast's feature-server shape), feature by
// feature and entity by entity. Columns are matched by name in metadata.feature_names, never by
// position: Feast 0.67 groups a request's features per view in a Python set
// (utils._group_feature_refs), so its column order follows set iteration, not the request.

/** The response body of Feast's feature server: one column per join key and feature. */
export interface FeatureServerAnswer {
  metadata: { feature_names: string[] };
  results: { values: unknown[]; statuses: string[]; event_timestamps?: string[] }[];
}

/** One feature of one entity, as a server answered it. */
export interface Cell {
  value: unknown;
  status: string;
  eventTimestamp: string | undefined;
}

/** A feature of an entity answered differently; a side without the feature's column is undefined. */
export interface CellDifference {
  feature: string;
  entity: number;
  service: Cell | undefined;
  feast: Cell | undefined;
}

function columns(answer: FeatureServerAnswer): Map<string, Cell[]> {
  return new Map(
    answer.metadata.feature_names.map((name, i) => {
      const column = answer.results[i];
      const cells = column.values.map((value, e) => ({ value, status: column.statuses[e], eventTimestamp: column.event_timestamps?.[e] }));
      return [name, cells];
    }),
  );
}

/** Numbers within float32 rounding: a value that went through a float32 on one side only is the same value. */
function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === "number" && typeof b === "number" && Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a)));
}

function sameCell(a: Cell, b: Cell): boolean {
  return sameValue(a.value, b.value) && a.status === b.status && a.eventTimestamp === b.eventTimestamp;
}

/** Every feature of every entity whose value, status or event time differs, or that one side lacks. */
export function cellDifferences(service: FeatureServerAnswer, feast: FeatureServerAnswer): CellDifference[] {
  const ours = columns(service);
  const theirs = columns(feast);
  const names = [...ours.keys(), ...[...theirs.keys()].filter((name) => !ours.has(name))];
  return names.flatMap((feature) => {
    const s = ours.get(feature) ?? [];
    const f = theirs.get(feature) ?? [];
    return Array.from({ length: Math.max(s.length, f.length) }, (_, entity) => ({ feature, entity, service: s[entity], feast: f[entity] })).filter(
      (d) => d.service === undefined || d.feast === undefined || !sameCell(d.service, d.feast),
    );
  });
}

/**
 * Feast 0.67's Redis read (RedisOnlineStore._get_features_for_entity) turns every HMGET reply,
 * a missing field or hash included, into a Value and never returns "no row", so its server calls
 * a stored null, and every feature of an entity it has no row for, PRESENT with a null value.
 * The service keeps FieldStatus's meaning there: NULL_VALUE and NOT_FOUND. The same null value at
 * the same event time with only that status apart is this, and nothing else is.
 */
export function isFeastRedisPresentNull(d: CellDifference): boolean {
  return (
    d.service !== undefined &&
    d.feast !== undefined &&
    d.service.value === null &&
    d.feast.value === null &&
    d.feast.status === "PRESENT" &&
    (d.service.status === "NULL_VALUE" || d.service.status === "NOT_FOUND") &&
    d.service.eventTimestamp === d.feast.eventTimestamp
  );
}

function describeCell(cell: Cell | undefined): string {
  return cell === undefined ? "no such feature" : `${JSON.stringify(cell.value)} ${cell.status} at ${cell.eventTimestamp ?? "(no event time)"}`;
}

/** e.g. `amount_std_30d[0]: service null NULL_VALUE at 2025-11-03T00:01:26.595Z, Feast null PRESENT at …`. */
export function describeDifference(d: CellDifference): string {
  return `${d.feature}[${d.entity}]: service ${describeCell(d.service)}, Feast ${describeCell(d.feast)}`;
}

const requestCount = (n: number) => `${n} request${n === 1 ? "" : "s"}`;

/**
 * The bench's report of one answer per request from each server, a request named by its label
 * (e.g. its entity): the real differences first (the first such request, each differing feature
 * named), then Feast's Redis nulls, counted apart.
 */
export function compareWithFeast(requestLabels: string[], service: string[], feast: string[]): string[] {
  const perRequest = requestLabels.map((_, i) => cellDifferences(JSON.parse(service[i]) as FeatureServerAnswer, JSON.parse(feast[i]) as FeatureServerAnswer));
  const real = perRequest.flatMap((ds, i) => (ds.some((d) => !isFeastRedisPresentNull(d)) ? [i] : []));
  const nullsOnly = perRequest.flatMap((ds, i) => (ds.length > 0 && ds.every(isFeastRedisPresentNull) ? [i] : []));
  if (real.length === 0 && nullsOnly.length === 0) return [`same answers for all ${requestCount(requestLabels.length)}`];
  const lines: string[] = [];
  if (real.length > 0) {
    const shown = perRequest[real[0]].filter((d) => !isFeastRedisPresentNull(d));
    lines.push(`ANSWERS DIFFER for ${real.length} of ${requestCount(requestLabels.length)}, e.g. ${requestLabels[real[0]]}:`);
    lines.push(...shown.slice(0, 5).map((d) => `  ${describeDifference(d)}`));
    if (shown.length > 5) lines.push(`  … and ${shown.length - 5} more features`);
  } else {
    lines.push(`same values and event times for all ${requestCount(requestLabels.length)}`);
  }
  if (nullsOnly.length > 0) {
    const requestsWith = (status: string) => nullsOnly.filter((i) => perRequest[i].some((d) => d.service?.status === status)).length;
    lines.push(
      `${nullsOnly.length} of ${requestCount(requestLabels.length)} differ only where Feast's Redis read says PRESENT for a null value ` +
        `(a stored null, NULL_VALUE here: ${requestCount(requestsWith("NULL_VALUE"))}; an entity without a row, NOT_FOUND here: ${requestCount(requestsWith("NOT_FOUND"))}), ` +
        `e.g. ${requestLabels[nullsOnly[0]]}: ${describeDifference(perRequest[nullsOnly[0]][0])}`,
    );
  }
  return lines;
}
