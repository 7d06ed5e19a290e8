// Feast's `feast.types.Value` and `google.protobuf.Timestamp` on the wire. Stores written by
// `feast materialize` hold these bytes, so we encode and decode exactly these messages.
// Both are read and written field by field with protobufjs's Reader and Writer: the hot path
// reads one scalar per stored feature, without building a message object per value.
import { Reader, Writer, type Long } from "protobufjs/minimal";
import type { FeatureDtype } from "../model/manifest";
import type { FeatureValue } from "./store";

/**
 * The fields of the Value oneof (feast/protos/feast/types/Value.proto): number → name and
 * wire type. The list types are listed so that a value written by Feast with one of them
 * is recognised (and then refused as the wrong type).
 */
const VALUE_FIELDS: Record<number, { name: string; wireType: number }> = {
  1: { name: "bytes_val", wireType: 2 },
  2: { name: "string_val", wireType: 2 },
  3: { name: "int32_val", wireType: 0 },
  4: { name: "int64_val", wireType: 0 },
  5: { name: "double_val", wireType: 1 },
  6: { name: "float_val", wireType: 5 },
  7: { name: "bool_val", wireType: 0 },
  8: { name: "unix_timestamp_val", wireType: 0 },
  11: { name: "bytes_list_val", wireType: 2 },
  12: { name: "string_list_val", wireType: 2 },
  13: { name: "int32_list_val", wireType: 2 },
  14: { name: "int64_list_val", wireType: 2 },
  15: { name: "double_list_val", wireType: 2 },
  16: { name: "float_list_val", wireType: 2 },
  17: { name: "bool_list_val", wireType: 2 },
  18: { name: "unix_timestamp_list_val", wireType: 2 },
  19: { name: "null_val", wireType: 0 },
};
const NULL_VAL = 19;

/** The Value oneof field number each manifest dtype is stored in. */
const FIELD_NUMBER: Record<FeatureDtype, number> = { string: 2, int32: 3, int64: 4, float64: 5, float32: 6, bool: 7 };

/** The Value oneof field each manifest dtype is stored in. */
export const VALUE_FIELD: Record<FeatureDtype, string> = {
  int32: "int32_val",
  int64: "int64_val",
  float32: "float_val",
  float64: "double_val",
  bool: "bool_val",
  string: "string_val",
};

/** Fields a float feature also accepts (Feast promotes integers the same way). */
const NUMERIC_FIELDS = new Set([3, 4, 5, 6]);

/** A stored value that cannot be read as the feature's dtype. */
export class MalformedValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedValueError";
  }
}

/**
 * Serializes one feature value as Feast does: the dtype's oneof field, or an empty Value for
 * null (Feast's "no value", read back as NULL_VALUE). Throws when the value does not fit the dtype.
 */
export function encodeValue(value: FeatureValue, dtype: FeatureDtype): Uint8Array {
  if (value === null) return new Uint8Array(0);
  const writer = Writer.create();
  const tag = (FIELD_NUMBER[dtype] << 3) | VALUE_FIELDS[FIELD_NUMBER[dtype]].wireType;
  writer.uint32(tag);
  switch (dtype) {
    case "string":
      if (typeof value !== "string") throw new TypeError(`expected a string, got ${JSON.stringify(value)}`);
      writer.string(value);
      break;
    case "bool":
      if (typeof value !== "boolean") throw new TypeError(`expected a boolean, got ${JSON.stringify(value)}`);
      writer.bool(value);
      break;
    case "int32":
      if (typeof value !== "number" || !Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
        throw new TypeError(`expected a 32-bit integer, got ${JSON.stringify(value)}`);
      }
      writer.int32(value);
      break;
    case "int64":
      if (typeof value !== "number" || !Number.isSafeInteger(value)) {
        throw new TypeError(`expected a safe 64-bit integer, got ${JSON.stringify(value)}`);
      }
      writer.int64(value);
      break;
    case "float32":
    case "float64":
      if (typeof value !== "number") throw new TypeError(`expected a number, got ${JSON.stringify(value)}`);
      if (dtype === "float32") writer.float(value);
      else writer.double(value);
      break;
  }
  return writer.finish();
}

/**
 * Reads a stored Value as the feature's dtype. Empty bytes or an unset oneof is null (NULL_VALUE).
 * Integers are accepted for float features (Feast promotes them the same way); anything else of
 * the wrong type, or bytes that are not a Value, throws MalformedValueError.
 */
export function decodeValue(bytes: Uint8Array, dtype: FeatureDtype): FeatureValue {
  if (bytes.length === 0) return null;
  const expected = FIELD_NUMBER[dtype];
  const numeric = dtype === "float32" || dtype === "float64";
  // The oneof member set last wins, as in every protobuf decoder; unknown fields are skipped.
  let field = 0;
  let value: FeatureValue = null;
  try {
    const reader = Reader.create(bytes);
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      const number = tag >>> 3;
      const wireType = tag & 7;
      const known = VALUE_FIELDS[number];
      if (known && known.wireType !== wireType) {
        throw new Error(`field ${number} (${known.name}) has wire type ${wireType}, expected ${known.wireType}`);
      }
      if (!known || !(number === expected || (numeric && NUMERIC_FIELDS.has(number)))) {
        reader.skipType(wireType);
        if (known) field = number;
        continue;
      }
      field = number;
      value = readScalar(reader, number);
    }
  } catch (err) {
    throw new MalformedValueError(`not a feast.types.Value: ${(err as Error).message}`);
  }
  if (field === 0 || field === NULL_VAL) return null;
  if (field === expected || (numeric && NUMERIC_FIELDS.has(field))) return value;
  throw new MalformedValueError(`stored as ${VALUE_FIELDS[field].name}, expected ${VALUE_FIELD[dtype]} for dtype ${dtype}`);
}

/** The scalar of a field that `decodeValue` accepts for some dtype. */
function readScalar(reader: Reader, number: number): FeatureValue {
  switch (number) {
    case 2:
      return reader.string();
    case 3:
      return reader.int32();
    case 4:
      return longToNumber(reader.int64());
    case 5:
      return reader.double();
    case 6:
      return reader.float();
    default:
      return reader.bool();
  }
}

/** A signed 64-bit integer as protobufjs reads it (Long-like when `long` is present, else a number), as a number. */
function longToNumber(value: Long | number): number {
  return typeof value === "number" ? value : value.high * 2 ** 32 + (value.low >>> 0);
}

/** `google.protobuf.Timestamp` bytes for a time (millisecond precision kept in nanos). */
export function encodeTimestamp(time: Date): Uint8Array {
  const ms = time.getTime();
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  return Writer.create().uint32((1 << 3) | 0).int64(seconds).uint32((2 << 3) | 0).int32(nanos).finish();
}

/** Throws MalformedValueError when the bytes are not a Timestamp. */
export function decodeTimestamp(bytes: Uint8Array): Date {
  let seconds = 0;
  let nanos = 0;
  try {
    const reader = Reader.create(bytes);
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      const wireType = tag & 7;
      if (tag === ((1 << 3) | 0)) seconds = longToNumber(reader.int64());
      else if (tag === ((2 << 3) | 0)) nanos = reader.int32();
      else if (tag >>> 3 === 1 || tag >>> 3 === 2) throw new Error(`field ${tag >>> 3} has wire type ${wireType}, expected 0`);
      else reader.skipType(wireType);
    }
  } catch (err) {
    throw new MalformedValueError(`not a google.protobuf.Timestamp: ${(err as Error).message}`);
  }
  return new Date(seconds * 1000 + Math.floor(nanos / 1_000_000));
}
