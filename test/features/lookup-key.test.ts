// The embedded store indexes entities by `viewLookupKey`, a cheap in-process string; it must
// identify entities exactly as Feast's serialized key (`viewEntityKey`) does.
import type { EntityKey } from "../../service/src/features/store";
import { onlineLayout, viewEntityKey, viewLookupKey } from "../../service/src/features/views";
import { testManifest, VIEW } from "./fixtures";

const base = testManifest();
const manifest = {
  ...base,
  entities: [...base.entities, { name: "merchant", dtype: "string" as const }, { name: "region", dtype: "int32" as const }],
  featureViews: [
    ...base.featureViews,
    { name: "merchant_stats", entities: ["user_id", "merchant", "region"], ttlSeconds: 0 },
  ],
  features: [
    ...base.features,
    {
      name: "merchant_txn_count",
      source: { kind: "online" as const, view: "merchant_stats", feature: "txn_count" },
      dtype: "int64" as const,
      default: 0,
      encoding: { kind: "identity" as const },
    },
  ],
};
const layout = onlineLayout(manifest);

const ints: (string | number)[] = [0, 1, -1, 7, "7", "007", "-0", 1.5, "1.5", "", "abc", 2 ** 31, -(2 ** 31), 2 ** 53, "9223372036854775807", "9223372036854775808", "-9223372036854775808"];
const strings: (string | number)[] = ["", "a", "A", "7", 7, "ü", " a", "a,b"];

function agree(viewName: string, entities: EntityKey[]): void {
  const view = layout.views.get(viewName)!;
  const keys = entities.map((e) => ({ bytes: viewEntityKey(layout, view, e)?.toString("hex"), lookup: viewLookupKey(layout, view, e) }));
  for (const k of keys) expect(k.lookup === undefined).toBe(k.bytes === undefined);
  for (let i = 0; i < keys.length; i++) {
    for (let j = 0; j < keys.length; j++) {
      if (keys[i].bytes === undefined || keys[j].bytes === undefined) continue;
      expect({ a: entities[i], b: entities[j], same: keys[i].lookup === keys[j].lookup }).toEqual({
        a: entities[i],
        b: entities[j],
        same: keys[i].bytes === keys[j].bytes,
      });
    }
  }
}

describe("viewLookupKey", () => {
  it("names a single-key entity exactly as its Feast key does, and refuses what Feast refuses", () => {
    agree(VIEW, ints.map((user_id) => ({ user_id })));
  });

  it("does the same for composite keys of int64, string and int32 join keys", () => {
    const entities: EntityKey[] = [];
    for (const user_id of [1, "1", "01", -1]) {
      for (const merchant of strings) for (const region of [0, "0", 2 ** 31, -1]) entities.push({ user_id, merchant, region });
    }
    agree("merchant_stats", entities);
  });
});
