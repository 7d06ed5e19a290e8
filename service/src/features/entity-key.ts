// Feast's entity key serialization, version 3: the bytes that name an entity in every online
// store Feast writes (the Redis key prefix, the hex `entity_key` column in Cassandra).
import type { EntityKey } from "./store";

export type EntityKeyDtype = "int32" | "int64" | "string";

/** Feast ValueType numbers used in serialized keys. */
const VALUE_TYPE = { string: 2, int32: 3, int64: 4 } as const;

/**
 * Serializes the join keys `names` of `entity` (sorted by name, as Feast does): count; each name
 * as (STRING, length, UTF-8); then each value as (type, length, little-endian bytes).
 * Throws when a join key is missing or its value does not fit its dtype.
 */
export function serializeEntityKey(
  entity: EntityKey,
  names: readonly string[],
  types: Readonly<Record<string, EntityKeyDtype>>,
): Buffer {
  const sorted = [...names].sort();
  const parts: Buffer[] = [u32(sorted.length)];
  for (const name of sorted) {
    const bytes = Buffer.from(name, "utf8");
    parts.push(u32(VALUE_TYPE.string), u32(bytes.length), bytes);
  }
  for (const name of sorted) {
    const dtype = types[name];
    if (dtype === undefined) throw new TypeError(`join key "${name}" has no declared dtype`);
    const bytes = valueBytes(name, entity[name], dtype);
    parts.push(u32(VALUE_TYPE[dtype]), u32(bytes.length), bytes);
  }
  return Buffer.concat(parts);
}

const INTEGER_RANGE = { int32: [-(2n ** 31n), 2n ** 31n - 1n], int64: [-(2n ** 63n), 2n ** 63n - 1n] } as const;

/**
 * Why `value` cannot be a join key of `dtype`, or undefined when it can. Integers arrive as
 * JSON numbers (exact only up to 2^53) or as decimal strings (the whole int64 range).
 */
export function joinKeyProblem(value: string | number, dtype: EntityKeyDtype): string | undefined {
  if (dtype === "string") return typeof value === "string" ? undefined : `expected a string, got ${JSON.stringify(value)}`;
  const n = toInteger(value);
  const [min, max] = INTEGER_RANGE[dtype];
  if (n === undefined || n < min || n > max) {
    const got = typeof value === "string" ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : String(value);
    return typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value) && dtype === "int64"
      ? `${got} is beyond the integers a JSON number holds exactly (±2^53); send int64 ids this large as decimal strings`
      : `expected an ${dtype} (an integer from ${min} to ${max}, as a number or a decimal string), got ${got}`;
  }
  return undefined;
}

function valueBytes(name: string, value: string | number | undefined, dtype: EntityKeyDtype): Buffer {
  if (value === undefined) throw new TypeError(`join key "${name}" is missing`);
  const problem = joinKeyProblem(value, dtype);
  if (problem) throw new TypeError(`join key "${name}": ${problem}`);
  if (dtype === "string") return Buffer.from(value as string, "utf8");
  const n = toInteger(value) as bigint;
  if (dtype === "int32") {
    const b = Buffer.alloc(4);
    b.writeInt32LE(Number(n));
    return b;
  }
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(n);
  return b;
}

/** Integer join keys may arrive as numbers or as decimal strings (int64 beyond 2^53 in JSON). */
function toInteger(value: string | number): bigint | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) ? BigInt(value) : undefined;
  return /^-?\d{1,20}$/.test(value) ? BigInt(value) : undefined;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}
