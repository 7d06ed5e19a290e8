// Feast's `feast.types.Value` and `google.protobuf.Timestamp` on the wire. Stores written by
// `feast materialize` hold these bytes, so we encode and decode exactly these messages.
import * as protobuf from "protobufjs";
import Long from "long";
import type { FeatureDtype } from "../model/manifest";
import type { FeatureValue } from "./store";

// Field numbers from feast/protos/feast/types/Value.proto; list types are declared so that a
// value written by Feast with one of them decodes (and is then refused as the wrong type).
const PROTO = `
syntax = "proto3";
package feast.types;
message BytesList { repeated bytes val = 1; }
message StringList { repeated string val = 1; }
message Int32List { repeated int32 val = 1; }
message Int64List { repeated int64 val = 1; }
message DoubleList { repeated double val = 1; }
message FloatList { repeated float val = 1; }
message BoolList { repeated bool val = 1; }
enum Null { NULL = 0; }
message Value {
  oneof val {
    bytes bytes_val = 1;
    string string_val = 2;
    int32 int32_val = 3;
    int64 int64_val = 4;
    double double_val = 5;
    float float_val = 6;
    bool bool_val = 7;
    int64 unix_timestamp_val = 8;
    BytesList bytes_list_val = 11;
    StringList string_list_val = 12;
    Int32List int32_list_val = 13;
    Int64List int64_list_val = 14;
    DoubleList double_list_val = 15;
    FloatList float_list_val = 16;
    BoolList bool_list_val = 17;
    Int64List unix_timestamp_list_val = 18;
    Null null_val = 19;
  }
}
`;
const TIMESTAMP_PROTO = `
syntax = "proto3";
package google.protobuf;
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
`;

const root = protobuf.parse(PROTO, { keepCase: true }).root;
protobuf.parse(TIMESTAMP_PROTO, root, { keepCase: true });
const ValueMessage = root.lookupType("feast.types.Value");
const TimestampMessage = root.lookupType("google.protobuf.Timestamp");

/** The Value oneof field each manifest dtype is stored in. */
export const VALUE_FIELD: Record<FeatureDtype, string> = {
  int32: "int32_val",
  int64: "int64_val",
  float32: "float_val",
  float64: "double_val",
  bool: "bool_val",
  string: "string_val",
};

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
  if (value === null) return ValueMessage.encode(ValueMessage.create({})).finish();
  const field = VALUE_FIELD[dtype];
  return ValueMessage.encode(ValueMessage.create({ [field]: toWire(value, dtype) })).finish();
}

function toWire(value: Exclude<FeatureValue, null>, dtype: FeatureDtype): number | string | boolean | Long {
  switch (dtype) {
    case "string":
      if (typeof value !== "string") throw new TypeError(`expected a string, got ${JSON.stringify(value)}`);
      return value;
    case "bool":
      if (typeof value !== "boolean") throw new TypeError(`expected a boolean, got ${JSON.stringify(value)}`);
      return value;
    case "int32":
      if (typeof value !== "number" || !Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
        throw new TypeError(`expected a 32-bit integer, got ${JSON.stringify(value)}`);
      }
      return value;
    case "int64":
      if (typeof value !== "number" || !Number.isSafeInteger(value)) {
        throw new TypeError(`expected a safe 64-bit integer, got ${JSON.stringify(value)}`);
      }
      return Long.fromNumber(value);
    case "float32":
    case "float64":
      if (typeof value !== "number") throw new TypeError(`expected a number, got ${JSON.stringify(value)}`);
      return value;
  }
}

/**
 * Reads a stored Value as the feature's dtype. Empty bytes or an unset oneof is null (NULL_VALUE).
 * Integers are accepted for float features (Feast promotes them the same way); anything else of
 * the wrong type, or bytes that are not a Value, throws MalformedValueError.
 */
export function decodeValue(bytes: Uint8Array, dtype: FeatureDtype): FeatureValue {
  if (bytes.length === 0) return null;
  let message: protobuf.Message & { val?: string; [field: string]: unknown };
  try {
    message = ValueMessage.decode(bytes) as typeof message;
  } catch (err) {
    throw new MalformedValueError(`not a feast.types.Value: ${(err as Error).message}`);
  }
  const field = message.val;
  if (field === undefined || field === "null_val") return null;
  const raw = message[field];
  const expected = VALUE_FIELD[dtype];
  if (field === expected) return fromWire(raw);
  const numeric = dtype === "float32" || dtype === "float64";
  if (numeric && ["int32_val", "int64_val", "float_val", "double_val"].includes(field)) return fromWire(raw);
  throw new MalformedValueError(`stored as ${field}, expected ${expected} for dtype ${dtype}`);
}

function fromWire(raw: unknown): FeatureValue {
  if (Long.isLong(raw)) return (raw as Long).toNumber();
  if (typeof raw === "number" || typeof raw === "string" || typeof raw === "boolean") return raw;
  throw new MalformedValueError(`unsupported stored value ${String(raw)}`);
}

/** `google.protobuf.Timestamp` bytes for a time (millisecond precision kept in nanos). */
export function encodeTimestamp(time: Date): Uint8Array {
  const ms = time.getTime();
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  return TimestampMessage.encode(TimestampMessage.create({ seconds: Long.fromNumber(seconds), nanos })).finish();
}

/** Throws MalformedValueError when the bytes are not a Timestamp. */
export function decodeTimestamp(bytes: Uint8Array): Date {
  let message: protobuf.Message & { seconds?: Long | number; nanos?: number };
  try {
    message = TimestampMessage.decode(bytes) as typeof message;
  } catch (err) {
    throw new MalformedValueError(`not a google.protobuf.Timestamp: ${(err as Error).message}`);
  }
  const seconds = Long.isLong(message.seconds) ? (message.seconds as Long).toNumber() : Number(message.seconds ?? 0);
  return new Date(seconds * 1000 + Math.floor((message.nanos ?? 0) / 1_000_000));
}
