import * as path from "node:path";
import { EmbeddedStore } from "../../service/src/features/embedded";
import { OfflineSourceError } from "../../service/src/features/offline";
import { fullRow, REFS, tempDir, testManifest, VIEW, writeOfflineParquet } from "./fixtures";

const T0 = Date.UTC(2024, 0, 1);
const HOUR = 3600_000;

describe("EmbeddedStore from an offline Parquet file", () => {
  const dir = tempDir();

  it("serves the latest row per entity with Feast's statuses", async () => {
    const file = await writeOfflineParquet(path.join(dir, "latest.parquet"), [
      fullRow(1, T0 + 2 * HOUR, 5),
      fullRow(1, T0, 1), // older row after the newer one: must not win
      fullRow(2, T0, 2),
      { ...fullRow(3, T0, 3), amount_sum_24h: null },
    ]);
    const store = await EmbeddedStore.fromParquet(file, testManifest());
    const [one, two, three, missing] = await store.get({
      entityKeyTypes: { user_id: "int64" },
      entities: [{ user_id: 1 }, { user_id: "2" }, { user_id: 3 }, { user_id: 99 }],
      refs: REFS,
    });
    expect(one.values).toEqual([5, 52.5, 15, 0.5, false, "US"]);
    expect(one.statuses).toEqual(REFS.map(() => "PRESENT"));
    expect(one.eventTimestamps[0]?.getTime()).toBe(T0 + 2 * HOUR);
    expect(two.values).toEqual([2, 21, 6, 0.5, true, "FR"]);
    expect(three.statuses[1]).toBe("NULL_VALUE");
    expect(three.values[1]).toBeNull();
    expect(missing.statuses).toEqual(REFS.map(() => "NOT_FOUND"));
    expect(missing.values).toEqual(REFS.map(() => null));
    expect(missing.eventTimestamps).toEqual(REFS.map(() => null));
    expect(await store.ready()).toBe(true);
  });

  it("on equal event times, the later created_timestamp wins", async () => {
    const file = await writeOfflineParquet(path.join(dir, "created.parquet"), [
      { ...fullRow(1, T0, 7), created_timestamp: new Date(T0 + 5000) },
      { ...fullRow(1, T0, 8), created_timestamp: new Date(T0 + 1000) },
    ]);
    const store = await EmbeddedStore.fromParquet(file, testManifest());
    const [v] = await store.get({ entityKeyTypes: { user_id: "int64" }, entities: [{ user_id: 1 }], refs: REFS });
    expect(v.values[0]).toBe(7);
  });

  it("skips bad rows, keeping their row numbers, and loads the rest", async () => {
    const file = await writeOfflineParquet(path.join(dir, "bad.parquet"), [
      fullRow(1, T0, 1),
      { ...fullRow(2, T0, 2), user_id: null },
      { ...fullRow(3, T0, 3), event_timestamp: null },
      fullRow(4, T0, 4),
    ]);
    const store = await EmbeddedStore.fromParquet(file, testManifest());
    expect(store.badRows.map((r) => r.rowNumber)).toEqual([2, 3]);
    expect(store.badRows[0].problem).toMatch(/user_id/);
    expect(store.badRows[1].problem).toMatch(/event_timestamp/);
    expect(store.entityCount(VIEW)).toBe(2);
  });

  it("measures TTL from the newest event in the file by default, or from now when asked", async () => {
    const file = await writeOfflineParquet(path.join(dir, "ttl.parquet"), [
      fullRow(1, T0 + 10 * HOUR, 1),
      fullRow(2, T0, 2), // 10 h older than the newest row
    ]);
    const manifest = testManifest({ ttlSeconds: 3600 });
    const query = { entityKeyTypes: { user_id: "int64" as const }, entities: [{ user_id: 1 }, { user_id: 2 }], refs: REFS };

    const snapshot = await EmbeddedStore.fromParquet(file, manifest);
    const [fresh, stale] = await snapshot.get(query);
    expect(fresh.statuses[0]).toBe("PRESENT");
    expect(stale.statuses[0]).toBe("OUTSIDE_MAX_AGE");
    expect(stale.values[0]).toBe(2); // the value stays; the caller replaces it by the default

    const wallClock = await EmbeddedStore.fromParquet(file, manifest, { ttlReference: "now" });
    const [old] = await wallClock.get(query);
    expect(old.statuses[0]).toBe("OUTSIDE_MAX_AGE");

    const unlimited = await snapshot.get({ ...query, ttlSeconds: { [VIEW]: 0 } });
    expect(unlimited[1].statuses[0]).toBe("PRESENT");
  });

  it("names the file and the missing columns when the file does not fit the manifest", async () => {
    await expect(EmbeddedStore.fromParquet(path.join(dir, "nope.parquet"), testManifest())).rejects.toThrow(
      /nope\.parquet.*cannot be read/,
    );
    const other = testManifest();
    const viewFeatures = other.features.filter((f) => f.source.kind === "online");
    viewFeatures[0].source = { kind: "online", view: VIEW, feature: "not_a_column" };
    const file = await writeOfflineParquet(path.join(dir, "cols.parquet"), [fullRow(1, T0, 1)]);
    await expect(EmbeddedStore.fromParquet(file, other)).rejects.toThrow(OfflineSourceError);
    await expect(EmbeddedStore.fromParquet(file, other)).rejects.toThrow(/needs columns not_a_column/);
  });
});
