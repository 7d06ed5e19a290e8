// Offline file → online store: the latest row per entity and view, written in batches in the
// store's layout. Bad rows are reported by row number and skipped; the rest is written.
import type { Manifest } from "../model/manifest";
import { isBadRow, LatestRows, openOfflineFile, type BadRow, type S3Location } from "./offline";
import { onlineLayout, viewEntityKey } from "./views";
import type { OnlineWriter } from "./writer";

export interface MaterializeOptions {
  source: string;
  manifest: Manifest;
  writer: OnlineWriter;
  /** Store-side expiry in seconds; 0 or absent = keep until overwritten. */
  ttlSeconds?: number;
  /** Entities per pipelined write. */
  batchSize?: number;
  s3?: S3Location;
  project?: string;
  onBadRow?: (row: BadRow) => void;
  /** Called once the entities are known, then after each batch. */
  onProgress?: (written: number, total: number) => void;
}

export interface MaterializeSummary {
  rowsRead: number;
  entitiesWritten: number;
  rowsSkipped: number;
  /** Entities whose stored value was newer than the file's, left alone. */
  entitiesUnchanged: number;
  views: string[];
  missingViews: string[];
  seconds: number;
}

export const DEFAULT_BATCH_SIZE = 500;

export async function materialize(options: MaterializeOptions): Promise<MaterializeSummary> {
  const started = Date.now();
  const layout = onlineLayout(options.manifest, options.project);
  const file = await openOfflineFile(options.source, options.manifest, options.s3, layout);
  const latest = new LatestRows();
  let rowsRead = 0;
  const skipped = new Set<number>();
  try {
    let lastRow = 0;
    for await (const row of file.rows()) {
      if (row.rowNumber !== lastRow) rowsRead += 1;
      lastRow = row.rowNumber;
      if (isBadRow(row)) {
        skipped.add(row.rowNumber);
        options.onBadRow?.(row);
        continue;
      }
      const view = layout.views.get(row.view);
      const key = view && viewEntityKey(layout, view, row.entity);
      if (key) latest.add(row, key.toString("hex"));
    }
  } finally {
    await file.close();
  }

  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
  const total = latest.entityCount;
  let done = 0;
  let written = 0;
  options.onProgress?.(0, total);
  for (const view of file.views) {
    const rows = [...latest.view(view.name).values()];
    for (let i = 0; i < rows.length; i += batchSize) {
      const batch = rows.slice(i, i + batchSize);
      written += await options.writer.write(view, batch, options.ttlSeconds ?? 0);
      done += batch.length;
      options.onProgress?.(done, total);
    }
  }
  return {
    rowsRead,
    entitiesWritten: written,
    rowsSkipped: skipped.size,
    entitiesUnchanged: total - written,
    views: file.views.map((v) => v.name),
    missingViews: file.missingViews,
    seconds: (Date.now() - started) / 1000,
  };
}

export function formatSummary(s: MaterializeSummary): string {
  const unchanged = s.entitiesUnchanged > 0 ? ` (${s.entitiesUnchanged} unchanged: the store held newer values)` : "";
  return (
    `materialized ${s.views.join(", ")}: ${s.rowsRead} rows read, ${s.entitiesWritten} entities written${unchanged}, ` +
    `${s.rowsSkipped} rows skipped in ${s.seconds.toFixed(1)} s`
  );
}
