// Offline feature files in Feast's offline shape (join keys, event_timestamp, optional
// created_timestamp, one column per feature), from a local path or s3://. Shared by the
// embedded store and the materializer, so both read a file the same way.
import { open } from "node:fs/promises";
import { parquetMetadataAsync, parquetRead, type AsyncBuffer, type ColumnData, type FileMetaData } from "hyparquet";
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
  /** The same rows, one Parquet row group at a time: one await per group instead of per row. */
  rowGroups(): AsyncGenerator<(OfflineRow | BadRow)[]>;
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
  const { file, close } = await openParquet(source, s3);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (err) {
    await close();
    throw new OfflineSourceError(`offline features "${source}" cannot be read as Parquet: ${(err as Error).message}`, { cause: err });
  }
  // A flat table: the root element, then one element per column.
  const columns = new Set(metadata.schema.slice(1).map((e) => e.name));
  const views: OnlineView[] = [];
  const missingViews: string[] = [];
  for (const view of layout.views.values()) {
    const needed = [...view.joinKeys, ...view.features.keys()];
    const absent = needed.filter((c) => !columns.has(c));
    if (absent.length === 0) views.push(view);
    else if (absent.length === needed.length) missingViews.push(view.name);
    else {
      await close();
      throw new OfflineSourceError(`${source}: feature view "${view.name}" needs columns ${absent.join(", ")}`);
    }
  }
  if (!columns.has(EVENT_TIMESTAMP) || views.length === 0) {
    await close();
    const expected = [...layout.views.values()].map((v) => [...v.joinKeys, ...v.features.keys()].join(", "));
    throw new OfflineSourceError(
      `${source}: expected columns ${EVENT_TIMESTAMP} and, for at least one feature view, ${expected.join(" | ")}; ` +
        `found ${[...columns].join(", ")}`,
    );
  }
  // Only the columns the views read, decoded column by column: no per-row objects in between.
  const needed = [...new Set([EVENT_TIMESTAMP, ...views.flatMap((v) => [...v.joinKeys, ...v.features.keys()])])];
  if (columns.has(CREATED_TIMESTAMP)) needed.push(CREATED_TIMESTAMP);
  async function* rowGroups(): AsyncGenerator<(OfflineRow | BadRow)[]> {
    // One row group at a time, so a large file never sits decoded in memory at once.
    let rowStart = 0;
    for (const group of metadata.row_groups) {
      const rowEnd = rowStart + Number(group.num_rows);
      let table: Map<string, ArrayLike<unknown>>;
      try {
        table = await readColumns(file, metadata, needed, rowStart, rowEnd);
      } catch (err) {
        throw new OfflineSourceError(`${source}: rows ${rowStart + 1}–${rowEnd} cannot be decoded: ${(err as Error).message}`, { cause: err });
      }
      const rows: (OfflineRow | BadRow)[] = [];
      for (let i = 0; i < rowEnd - rowStart; i++) {
        const parsed = parseRow(table, i, rowStart + i + 1, views, layout);
        if (Array.isArray(parsed)) rows.push(...parsed);
        else rows.push(parsed);
      }
      yield rows;
      rowStart = rowEnd;
    }
  }
  return {
    rowCount: Number(metadata.num_rows),
    views,
    missingViews,
    rowGroups,
    async *rows() {
      for await (const rows of rowGroups()) yield* rows;
    },
    close,
  };
}

/** Rows [rowStart, rowEnd) of each named column, indexed from 0 = rowStart. */
async function readColumns(
  file: AsyncBuffer,
  metadata: FileMetaData,
  names: string[],
  rowStart: number,
  rowEnd: number,
): Promise<Map<string, ArrayLike<unknown>>> {
  const chunks = new Map<string, ColumnData[]>(names.map((n) => [n, []]));
  await parquetRead({ file, metadata, columns: names, rowStart, rowEnd, onChunk: (chunk) => chunks.get(chunk.columnName)?.push(chunk) });
  const table = new Map<string, ArrayLike<unknown>>();
  for (const [name, parts] of chunks) {
    if (parts.length === 1 && parts[0].rowStart === rowStart) {
      table.set(name, parts[0].columnData);
      continue;
    }
    // Several pages, or a chunk starting before the range: place each value by its row.
    const values = new Array<unknown>(rowEnd - rowStart);
    for (const part of parts) {
      for (let j = 0; j < part.columnData.length; j++) {
        const at = part.rowStart + j - rowStart;
        if (at >= 0 && at < values.length) values[at] = part.columnData[j];
      }
    }
    table.set(name, values);
  }
  return table;
}

/** A local file read by ranges, or an s3:// object fetched whole. */
async function openParquet(source: string, s3: S3Location): Promise<{ file: AsyncBuffer; close(): Promise<void> }> {
  try {
    if (!source.startsWith("s3://")) {
      const handle = await open(source, "r");
      const { size } = await handle.stat();
      const file: AsyncBuffer = {
        byteLength: size,
        async slice(start: number, end = size) {
          const bytes = new Uint8Array(end - start);
          await handle.read(bytes, 0, bytes.length, start);
          return bytes.buffer;
        },
      };
      return { file, close: () => handle.close() };
    }
    const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(source);
    if (!match) throw new Error("expected s3://bucket/key");
    const { GetObjectCommand, S3Client } = await import("@aws-sdk/client-s3");
    const client = new S3Client({ region: s3.region ?? "us-east-1", endpoint: s3.endpoint, forcePathStyle: s3.forcePathStyle });
    try {
      const object = await client.send(new GetObjectCommand({ Bucket: match[1], Key: match[2] }));
      if (!object.Body) throw new Error("empty object body");
      const bytes = await object.Body.transformToByteArray();
      const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      return { file: buffer, close: async () => {} };
    } finally {
      client.destroy();
    }
  } catch (err) {
    throw new OfflineSourceError(`offline features "${source}" cannot be read: ${(err as Error).message}`, { cause: err });
  }
}

function parseRow(
  table: Map<string, ArrayLike<unknown>>,
  i: number,
  rowNumber: number,
  views: OnlineView[],
  layout: OnlineLayout,
): OfflineRow[] | BadRow {
  const bad = (problem: string): BadRow => ({ rowNumber, problem });
  const cell = (column: string): unknown => table.get(column)?.[i];
  const eventTimestamp = toDate(cell(EVENT_TIMESTAMP));
  if (!eventTimestamp) return bad(`${EVENT_TIMESTAMP} ${show(cell(EVENT_TIMESTAMP))} is not a timestamp`);
  let createdTimestamp: Date | null = null;
  if (cell(CREATED_TIMESTAMP) !== undefined && cell(CREATED_TIMESTAMP) !== null) {
    createdTimestamp = toDate(cell(CREATED_TIMESTAMP));
    if (!createdTimestamp) return bad(`${CREATED_TIMESTAMP} ${show(cell(CREATED_TIMESTAMP))} is not a timestamp`);
  }
  const rows: OfflineRow[] = [];
  for (const view of views) {
    const entity: EntityKey = {};
    for (const key of view.joinKeys) {
      const value = toEntityValue(cell(key), layout.entityKeyTypes[key] ?? "string");
      if (value === undefined) return bad(`join key ${key} ${show(cell(key))} is not a ${layout.entityKeyTypes[key]}`);
      entity[key] = value;
    }
    const values: Record<string, FeatureValue> = {};
    for (const [feature, dtype] of view.features) {
      const value = toFeatureValue(cell(feature), dtype);
      if (value === undefined) return bad(`feature ${view.name}:${feature} ${show(cell(feature))} is not a ${dtype}`);
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

/** Parquet TIMESTAMP columns arrive as Dates; bare integers are taken as epoch milliseconds. */
function toDate(value: unknown): Date | null {
  let ms: number | undefined;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === "bigint") ms = Number(value);
  else if (typeof value === "number") ms = value;
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
