// An in-process online store loaded from an offline file: the default for `npm start`, so the
// service runs with nothing else installed.
import type { Manifest } from "../model/manifest";
import { isBadRow, LatestRows, openOfflineFile, type BadRow, type OfflineRow, type S3Location } from "./offline";
import type { FeatureQuery, FeatureStatus, FeatureStore, FeatureValue, FeatureVector } from "./store";
import { maxAgeSeconds, onlineLayout, refsByView, statusOf, viewLookupKey, type OnlineLayout } from "./views";

/**
 * What a value's age is measured against. A sample file is a snapshot taken at some past time;
 * measuring it against the wall clock would make every value OUTSIDE_MAX_AGE, so by default
 * ages count from the newest event in the file ("snapshot"). "now" is Feast's rule, for a
 * file refreshed as often as the views' TTLs.
 */
export type TtlReference = "snapshot" | "now";

export interface EmbeddedStoreOptions {
  ttlReference?: TtlReference;
}

export class EmbeddedStore implements FeatureStore {
  readonly kind = "embedded";
  /** Rows the file held that could not be used. */
  badRows: BadRow[] = [];

  private constructor(
    private readonly layout: OnlineLayout,
    private readonly latest: LatestRows,
    private readonly snapshotTime: number,
    private readonly ttlReference: TtlReference,
  ) {}

  /** Latest row per view and entity wins; rows for views the manifest does not read are ignored. */
  static fromRows(manifest: Manifest, rows: Iterable<OfflineRow>, options: EmbeddedStoreOptions = {}): EmbeddedStore {
    const layout = onlineLayout(manifest);
    const latest = new LatestRows();
    let newest = 0;
    for (const row of rows) {
      const view = layout.views.get(row.view);
      const key = view && viewLookupKey(layout, view, row.entity);
      if (key === undefined) continue;
      latest.add(row, key);
      newest = Math.max(newest, row.eventTimestamp.getTime());
    }
    return new EmbeddedStore(layout, latest, newest, options.ttlReference ?? "snapshot");
  }

  /** Loads a local or s3:// Parquet file; bad rows are skipped and kept in `badRows`. */
  static async fromParquet(
    source: string,
    manifest: Manifest,
    options: EmbeddedStoreOptions & { s3?: S3Location } = {},
  ): Promise<EmbeddedStore> {
    const file = await openOfflineFile(source, manifest, options.s3);
    const rows: OfflineRow[] = [];
    const badRows: BadRow[] = [];
    try {
      for await (const group of file.rowGroups()) {
        for (const row of group) {
          if (isBadRow(row)) badRows.push(row);
          else rows.push(row);
        }
      }
    } finally {
      await file.close();
    }
    const store = EmbeddedStore.fromRows(manifest, rows, options);
    store.badRows = badRows;
    return store;
  }

  /** Entities held for a view. */
  entityCount(view: string): number {
    return this.latest.view(view).size;
  }

  async get(query: FeatureQuery): Promise<FeatureVector[]> {
    const now = this.ttlReference === "now" ? Date.now() : this.snapshotTime;
    // Per view once per query, not once per entity: batches look many entities up.
    const views = [...refsByView(query)].flatMap(([name, refs]) => {
      const view = this.layout.views.get(name);
      return view ? [{ view, refs, rows: this.latest.view(name), maxAge: maxAgeSeconds(query, view) }] : [];
    });
    const width = query.refs.length;
    return query.entities.map((entity) => {
      const vector: FeatureVector = {
        values: new Array<FeatureValue>(width).fill(null),
        statuses: new Array<FeatureStatus>(width).fill("NOT_FOUND"),
        eventTimestamps: new Array<Date | null>(width).fill(null),
      };
      for (const { view, refs, rows, maxAge } of views) {
        const key = viewLookupKey(this.layout, view, entity);
        const row = key === undefined ? undefined : rows.get(key);
        if (!row) continue;
        for (const ref of refs) {
          if (!(ref.feature in row.values)) continue;
          const value = row.values[ref.feature] ?? null;
          vector.values[ref.index] = value;
          vector.statuses[ref.index] = statusOf(value, row.eventTimestamp, maxAge, now);
          vector.eventTimestamps[ref.index] = row.eventTimestamp;
        }
      }
      return vector;
    });
  }

  async ready(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {}
}
