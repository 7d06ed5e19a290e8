// What the materializer needs from an online store: write the latest row of each entity of a
// view in the store's layout.
import type { OfflineRow } from "./offline";
import type { OnlineView } from "./views";

export interface OnlineWriter {
  /**
   * Writes one row per entity (the caller has kept only each entity's latest). Rewriting the
   * same rows leaves the same bytes. `ttlSeconds` > 0 makes the store expire them.
   * Returns the rows written (a row older than what the store holds is left alone).
   */
  write(view: OnlineView, rows: OfflineRow[], ttlSeconds: number): Promise<number>;
  close(): Promise<void>;
}
