// Offline feature files in Feast's offline shape (join keys, event_timestamp, optional
// created_timestamp, one column per feature), from a local path or s3://. Shared by the
// embedded store and the materializer, so both read a file the same way.
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ParquetReader } from "@dsnp/parquetjs";
import type { FeatureDtype, Manifest } from "../model/manifest";
import type { EntityKey, FeatureValue } from "./store";
import { onlineLayout, type OnlineLayout, type OnlineView } from "./views";

export const EVENT_TIMESTAMP = "event_timestamp";
export const CREATED_TIMESTAMP = "created_timestamp";

/** One file row's values for one feature view. */
export interface OfflineRow {
  view: string;
  /** 1-based data row number in the file, for messages about it. */
  rowNumber: number;
  entity: EntityKey;
  eventTimestamp: Date;
  createdTimestamp: Date | null;
  /** Feature name → value (null when missing). */
  values: Record<string, FeatureValue>;
}

/** A row that cannot be used, with the reason; the rest of the file is still read. */
export interface BadRow {
  rowNumber: number;
  problem: string;
}

export interface S3Location {
  region?: string;
  endpoint?: string;
  forcePathStyle?: boolean;
}

export class OfflineSourceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "OfflineSourceError";
  }
}

export interface OfflineFile {
  /** Total data rows the file declares. */
  rowCount: number;
  /** Views whose columns the file holds. */
  views: OnlineView[];
  /** Views of the manifest the file does not hold (their features stay NOT_FOUND). */
  missingViews: string[];
  /** Every row, as an OfflineRow per view or a BadRow; a row bad for one view is bad for all. */
  rows(): AsyncGenerator<OfflineRow | BadRow>;
  close(): Promise<void>;
}

export function isBadRow(row: OfflineRow | BadRow): row is BadRow {
  return (row as BadRow).problem !== undefined;
}

/** Opens `source` (a local path or s3://bucket/key) and checks its columns against the manifest. */
export async function openOfflineFile(
  source: string,
  manifest: Manifest,
  s3: S3Location = {},
  layout: OnlineLayout = onlineLayout(manifest),
): Promise<OfflineFile> {
  const reader = await openReader(source, s3);
  const columns = new Map<string, string | undefined>(
    Object.values(reader.schema.fields).map((f) => [f.name, f.originalType as string | undefined]),
  );
  const views: OnlineView[] = [];
  const missingViews: string[] = [];
  for (const view of layout.views.values()) {
    const needed = [...view.joinKeys, ...view.features.keys()];
    const absent = needed.filter((c) => !columns.has(c));
    if (absent.length === 0) views.push(view);
    else if (absent.length === needed.length) missingViews.push(view.name);
    else {
      await reader.close();
      throw new OfflineSourceError(`${source}: feature view "${view.name}" needs columns ${absent.join(", ")}`);
    }
  }
  if (!columns.has(EVENT_TIMESTAMP) || views.length === 0) {
    await reader.close();
    const expected = [...layout.views.values()].map((v) => [...v.joinKeys, ...v.features.keys()].join(", "));
    throw new OfflineSourceError(
      `${source}: expected columns ${EVENT_TIMESTAMP} and, for at least one feature view, ${expected.join(" | ")}; ` +
        `found ${[...columns.keys()].join(", ")}`,
    );
  }
  const timeUnit = (column: string) => (columns.get(column) === "TIMESTAMP_MICROS" ? 1000 : 1);
  return {
    rowCount: Number(reader.getRowCount()),
    views,
    missingViews,
    async *rows() {
      const cursor = reader.getCursor();
      let rowNumber = 0;
      for (;;) {
        const record = (await cursor.next()) as Record<string, unknown> | null;
        if (!record) return;
        rowNumber += 1;
        const parsed = parseRow(record, rowNumber, views, layout, {
          event: timeUnit(EVENT_TIMESTAMP),
          created: timeUnit(CREATED_TIMESTAMP),
        });
        if (Array.isArray(parsed)) yield* parsed;
        else yield parsed;
      }
    },
    close: () => reader.close(),
  };
}

async function openReader(source: string, s3: S3Location): Promise<ParquetReader> {
  try {
    if (!source.startsWith("s3://")) return await ParquetReader.openFile(source);
    const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(source);
    if (!match) throw new Error("expected s3://bucket/key");
    const client = new S3Client({ region: s3.region ?? "us-east-1", endpoint: s3.endpoint, forcePathStyle: s3.forcePathStyle });
    try {
      const object = await client.send(new GetObjectCommand({ Bucket: match[1], Key: match[2] }));
      if (!object.Body) throw new Error("empty object body");
      return await ParquetReader.openBuffer(Buffer.from(await object.Body.transformToByteArray()));
    } finally {
      client.destroy();
    }
  } catch (err) {
    throw new OfflineSourceError(`offline features "${source}" cannot be read as Parquet: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function parseRow(
  record: Record<string, unknown>,
  rowNumber: number,
  views: OnlineView[],
  layout: OnlineLayout,
  units: { event: number; created: number },
): OfflineRow[] | BadRow {
  const bad = (problem: string): BadRow => ({ rowNumber, problem });
  const eventTimestamp = toDate(record[EVENT_TIMESTAMP], units.event);
  if (!eventTimestamp) return bad(`${EVENT_TIMESTAMP} ${show(record[EVENT_TIMESTAMP])} is not a timestamp`);
  let createdTimestamp: Date | null = null;
  if (record[CREATED_TIMESTAMP] !== undefined && record[CREATED_TIMESTAMP] !== null) {
    createdTimestamp = toDate(record[CREATED_TIMESTAMP], units.created);
    if (!createdTimestamp) return bad(`${CREATED_TIMESTAMP} ${show(record[CREATED_TIMESTAMP])} is not a timestamp`);
  }
  const rows: OfflineRow[] = [];
  for (const view of views) {
    const entity: EntityKey = {};
    for (const key of view.joinKeys) {
      const value = toEntityValue(record[key], layout.entityKeyTypes[key] ?? "string");
      if (value === undefined) return bad(`join key ${key} ${show(record[key])} is not a ${layout.entityKeyTypes[key]}`);
      entity[key] = value;
    }
    const values: Record<string, FeatureValue> = {};
    for (const [feature, dtype] of view.features) {
      const value = toFeatureValue(record[feature], dtype);
      if (value === undefined) return bad(`feature ${view.name}:${feature} ${show(record[feature])} is not a ${dtype}`);
      values[feature] = value;
    }
    rows.push({ view: view.name, rowNumber, entity, eventTimestamp, createdTimestamp, values });
  }
  return rows;
}

function show(value: unknown): string {
  if (value === undefined || value === null) return "(missing)";
  return typeof value === "bigint" ? value.toString() : JSON.stringify(value);
}

/** `unitsPerMs` is 1000 for microsecond integers, 1 for milliseconds. */
function toDate(value: unknown, unitsPerMs: number): Date | null {
  let ms: number | undefined;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === "bigint") ms = Number(value / BigInt(unitsPerMs));
  else if (typeof value === "number") ms = value / unitsPerMs;
  else if (typeof value === "string") ms = Date.parse(value);
  return ms === undefined || !Number.isFinite(ms) ? null : new Date(ms);
}

function toEntityValue(value: unknown, dtype: "int32" | "int64" | "string"): string | number | undefined {
  if (dtype === "string") return typeof value === "string" && value !== "" ? value : undefined;
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (typeof value === "number" && Number.isInteger(value)) return value;
  return undefined;
}

/** undefined = does not fit the dtype (a bad row); NaN counts as missing, as pandas writes it. */
function toFeatureValue(value: unknown, dtype: FeatureDtype): FeatureValue | undefined {
  if (value === null || value === undefined) return null;
  switch (dtype) {
    case "int32":
    case "int64": {
      const n = typeof value === "bigint" ? Number(value) : value;
      if (typeof n !== "number" || Number.isNaN(n)) return typeof n === "number" ? null : undefined;
      if (!Number.isSafeInteger(n)) return undefined;
      if (dtype === "int32" && (n < -(2 ** 31) || n >= 2 ** 31)) return undefined;
      return n;
    }
    case "float32":
    case "float64": {
      const n = typeof value === "bigint" ? Number(value) : value;
      if (typeof n !== "number") return undefined;
      return Number.isNaN(n) ? null : n;
    }
    case "bool":
      return typeof value === "boolean" ? value : undefined;
    case "string":
      if (typeof value === "string") return value;
      return Buffer.isBuffer(value) ? value.toString("utf8") : undefined;
  }
}

/** Keeps, per view and entity, the row with the latest event time (then created time, then last in file). */
export class LatestRows {
  private readonly byView = new Map<string, Map<string, OfflineRow>>();

  add(row: OfflineRow, key: string): void {
    let rows = this.byView.get(row.view);
    if (!rows) this.byView.set(row.view, (rows = new Map()));
    const current = rows.get(key);
    if (!current || !isOlder(row, current)) rows.set(key, row);
  }

  view(name: string): Map<string, OfflineRow> {
    return this.byView.get(name) ?? new Map();
  }

  get entityCount(): number {
    let n = 0;
    for (const rows of this.byView.values()) n += rows.size;
    return n;
  }
}

function isOlder(a: OfflineRow, b: OfflineRow): boolean {
  const dt = a.eventTimestamp.getTime() - b.eventTimestamp.getTime();
  if (dt !== 0) return dt < 0;
  return (a.createdTimestamp?.getTime() ?? 0) < (b.createdTimestamp?.getTime() ?? 0);
}
