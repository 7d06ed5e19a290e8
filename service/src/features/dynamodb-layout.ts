// Feast's DynamoDB layout (feast/infra/online_stores/dynamodb.py): one table per feature view
// named "<project>.<view>", one item per entity keyed by `entity_id`, the features in a map.
// The infrastructure imports the names from here, so tables and readers cannot disagree.
import { x64 } from "murmurhash3js-revisited";

/** Hash key: hex of MurmurHash3 x64_128 of the serialized entity key (Feast's `compute_entity_id`). */
export const ENTITY_ID = "entity_id";
/** Map of feature name → serialized `feast.types.Value` (binary; a null value is empty bytes). */
export const VALUES = "values";
/** Event time as Python's `str(datetime)`, e.g. `2025-11-03 00:01:43.985000+00:00`. */
export const EVENT_TS = "event_ts";
/**
 * Expiry in epoch seconds, written by our materializer when asked for a TTL (Feast writes none);
 * the table's DynamoDB TTL setting must name this attribute for items to be deleted.
 */
export const EXPIRES_AT = "expires_at";

/** Feast's default `table_name_template`: "{project}.{table_name}". */
export function dynamoTableName(project: string, view: string): string {
  return `${project}.${view}`;
}

/**
 * Python's `mmh3.hash_bytes(key).hex()`: the two 64-bit halves of MurmurHash3 x64_128 (seed 0),
 * each as 8 little-endian bytes. The library prints each half big-endian, so each is reversed.
 */
export function entityId(serializedKey: Uint8Array): string {
  const hex = x64.hash128(serializedKey, 0);
  return littleEndian(hex.slice(0, 16)) + littleEndian(hex.slice(16, 32));
}

function littleEndian(hex16: string): string {
  let out = "";
  for (let i = 14; i >= 0; i -= 2) out += hex16.slice(i, i + 2);
  return out;
}

/** `str(datetime)` of an aware UTC datetime: microseconds shown only when non-zero, as Python does. */
export function formatEventTs(time: Date): string {
  const iso = time.toISOString(); // 2025-11-03T00:01:43.985Z
  const ms = time.getUTCMilliseconds();
  const fraction = ms === 0 ? "" : `.${String(ms * 1000).padStart(6, "0")}`;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction}+00:00`;
}

const PY_DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:(Z)|([+-])(\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * Parses `str(datetime)` / `datetime.isoformat()` as Feast reads it back with `fromisoformat`;
 * a time without an offset is UTC (Feast makes naive times aware as UTC). Undefined when malformed.
 */
export function parseEventTs(text: string): Date | undefined {
  const m = PY_DATETIME.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, , sign, oh, om, os] = m;
  const ms = frac ? Math.floor(Number(frac.padEnd(6, "0")) / 1000) : 0;
  const local = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  // Date.UTC rolls over out-of-range fields (month 13, second 61); a real datetime has none.
  const check = new Date(local);
  const fields = [check.getUTCMonth() + 1, check.getUTCDate(), check.getUTCHours(), check.getUTCMinutes(), check.getUTCSeconds()];
  if (fields.some((v, i) => v !== Number([mo, d, h, mi, s][i]))) return undefined;
  const offsetMs = sign ? (sign === "-" ? -1 : 1) * ((Number(oh) * 60 + Number(om)) * 60 + Number(os ?? 0)) * 1000 : 0;
  return new Date(local - offsetMs);
}
