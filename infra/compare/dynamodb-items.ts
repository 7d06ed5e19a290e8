// How large one DynamoDB item is in Feast's layout (service/src/features/dynamodb-layout.ts), from
// the manifest's online features, so the bill can derive read and write units from it. An estimate:
// DynamoDB counts an item as its attribute names plus their values (a string by its UTF-8 bytes, a
// binary by its length, a map as 3 bytes plus, per entry, its key, its value and 1 byte). The
// serialized `feast.types.Value` of each dtype is counted at its largest (a varint at 10 bytes), a
// string feature at STRING_FEATURE_BYTES; the optional TTL attribute is left out.
import type { FeatureDtype, Manifest } from "../../service/src/model/manifest";
import { ENTITY_ID, EVENT_TS, VALUES } from "../../service/src/features/dynamodb-layout";

/** Assumed length of a string feature's value (the manifest does not bound it). */
export const STRING_FEATURE_BYTES = 32;
/** Hex of a 128-bit MurmurHash3. */
const ENTITY_ID_CHARS = 32;
/** Python's `str(datetime)` with microseconds and offset: `2025-11-03 00:01:43.985000+00:00`. */
const EVENT_TS_CHARS = 32;
const MAP_OVERHEAD = 3;
const MAP_ENTRY_OVERHEAD = 1;

/** Bytes of a serialized `feast.types.Value` holding one value: 1 tag byte and the payload. */
const VALUE_BYTES: Record<FeatureDtype, number> = {
  int32: 1 + 10,
  int64: 1 + 10,
  float32: 1 + 4,
  float64: 1 + 8,
  bool: 1 + 1,
  string: 1 + 1 + STRING_FEATURE_BYTES,
};

/** The feature views the model reads online, in manifest order: one item each per prediction. */
export function onlineViews(manifest: Manifest): string[] {
  const read = new Set(manifest.features.flatMap((f) => (f.source.kind === "online" ? [f.source.view] : [])));
  return manifest.featureViews.map((v) => v.name).filter((name) => read.has(name));
}

/** Estimated size in bytes of one entity's item of `view`. */
export function dynamodbItemBytes(manifest: Manifest, view: string): number {
  const features = new Map<string, FeatureDtype>();
  for (const f of manifest.features) if (f.source.kind === "online" && f.source.view === view) features.set(f.source.feature, f.dtype);
  let values = MAP_OVERHEAD;
  for (const [name, dtype] of features) values += Buffer.byteLength(name) + VALUE_BYTES[dtype] + MAP_ENTRY_OVERHEAD;
  return ENTITY_ID.length + ENTITY_ID_CHARS + EVENT_TS.length + EVENT_TS_CHARS + VALUES.length + values;
}
