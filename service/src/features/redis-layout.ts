// Feast's Redis layout: one hash per entity, keyed by the serialized entity key + project;
// a 4-byte MurmurHash3 field per feature and a `_ts:<view>` field per feature view.
import murmurhash from "murmurhash";

/** Hash key: serialized entity key followed by the project name in UTF-8. */
export function redisKey(entityKey: Buffer, project: string): Buffer {
  return Buffer.concat([entityKey, Buffer.from(project, "utf8")]);
}

/** Field of a feature: MurmurHash3 x86 32-bit, seed 0, of "<view>:<feature>", little-endian. */
export function featureField(view: string, feature: string): Buffer {
  const field = Buffer.alloc(4);
  field.writeUInt32LE(murmurhash.v3(Buffer.from(`${view}:${feature}`, "utf8"), 0));
  return field;
}

/** Field holding the view's event time as a google.protobuf.Timestamp. */
export function timestampField(view: string): Buffer {
  return Buffer.from(`_ts:${view}`, "utf8");
}
