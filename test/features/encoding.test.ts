import murmurhash from "murmurhash";
import { serializeEntityKey } from "../../service/src/features/entity-key";
import {
  decodeTimestamp,
  decodeValue,
  encodeTimestamp,
  encodeValue,
  MalformedValueError,
} from "../../service/src/features/value-proto";
import { featureField, redisKey } from "../../service/src/features/redis-layout";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("entity key serialization v3", () => {
  it("matches DESIGN.md's driver_id=1002 vector byte for byte", () => {
    const key = serializeEntityKey({ driver_id: 1002 }, ["driver_id"], { driver_id: "int64" });
    expect(hex(key)).toBe(
      ["01000000", "02000000", "09000000", "6472697665725f6964", "04000000", "08000000", "ea03000000000000"].join(""),
    );
  });

  it("sorts join keys by name and encodes int32 and string values", () => {
    const key = serializeEntityKey({ zone: "eu", account: 7 }, ["zone", "account"], { zone: "string", account: "int32" });
    expect(hex(key)).toBe(
      "02000000" +
        "02000000" + "07000000" + Buffer.from("account").toString("hex") +
        "02000000" + "04000000" + Buffer.from("zone").toString("hex") +
        "03000000" + "04000000" + "07000000" +
        "02000000" + "02000000" + Buffer.from("eu").toString("hex"),
    );
  });

  it("accepts an int64 beyond 2^53 as a decimal string", () => {
    const key = serializeEntityKey({ id: "9223372036854775807" }, ["id"], { id: "int64" });
    expect(hex(key).slice(-16)).toBe("ffffffffffffff7f");
  });

  it("refuses a value of the wrong type, naming the join key", () => {
    expect(() => serializeEntityKey({ id: "abc" }, ["id"], { id: "int64" })).toThrow(/join key "id": expected an int64 \(an integer/);
    expect(() => serializeEntityKey({}, ["id"], { id: "int64" })).toThrow(/join key "id" is missing/);
  });
});

describe("feast.types.Value", () => {
  // Field number << 3 | wire type, then the payload, as protoc writes it.
  it.each([
    ["int64", 1002, "20" + "ea07"],
    ["int32", -1, "18" + "ffffffffffffffffff01"],
    ["float64", 1.5, "29" + "000000000000f83f"],
    ["float32", 1.5, "35" + "0000c03f"],
    ["bool", true, "38" + "01"],
    ["string", "FR", "12" + "02" + "4652"],
  ] as const)("encodes a %s as its oneof field", (dtype, value, expected) => {
    const bytes = encodeValue(value, dtype);
    expect(hex(bytes)).toBe(expected);
    expect(decodeValue(bytes, dtype)).toBe(value);
  });

  it("encodes null as an empty Value and reads it back as null", () => {
    expect(encodeValue(null, "float64").length).toBe(0);
    expect(decodeValue(new Uint8Array(), "float64")).toBeNull();
    expect(decodeValue(Buffer.from("9801" + "00", "hex"), "float64")).toBeNull(); // null_val = NULL
  });

  it("reads an integer Value for a float feature", () => {
    expect(decodeValue(encodeValue(3, "int64"), "float64")).toBe(3);
  });

  it("refuses bytes that are not a Value and a Value of the wrong type", () => {
    expect(() => decodeValue(Buffer.from("ffffffff", "hex"), "int64")).toThrow(MalformedValueError);
    expect(() => decodeValue(encodeValue("x", "string"), "int64")).toThrow(/stored as string_val, expected int64_val/);
  });

  it("reads 64-bit integers beyond 32 bits and below zero", () => {
    expect(decodeValue(Buffer.from("20" + "fbffffffffffffffff01", "hex"), "int64")).toBe(-5);
    expect(decodeValue(encodeValue(2 ** 40 + 3, "int64"), "int64")).toBe(2 ** 40 + 3);
    expect(decodeValue(encodeValue(-(2 ** 50) - 1, "int64"), "int64")).toBe(-(2 ** 50) - 1);
    expect(decodeValue(encodeValue(-(2 ** 31), "int32"), "int32")).toBe(-(2 ** 31));
  });

  it("reads a Value as protobuf decoders do: unknown fields skipped, the oneof member set last wins", () => {
    expect(decodeValue(Buffer.from("f001" + "05" + "20" + "07", "hex"), "int64")).toBe(7); // field 30 varint, then int64_val
    expect(decodeValue(Buffer.from("20" + "01" + "12" + "01" + "41", "hex"), "string")).toBe("A");
    expect(() => decodeValue(Buffer.from("12" + "01" + "41" + "20" + "01", "hex"), "string")).toThrow(/stored as int64_val/);
  });

  it("refuses a list Value, a field of the wrong wire type and truncated bytes", () => {
    // int64_list_val { val: [1] }
    expect(() => decodeValue(Buffer.from("72" + "03" + "0a" + "01" + "01", "hex"), "int64")).toThrow(/stored as int64_list_val/);
    expect(() => decodeValue(Buffer.from("21" + "0000000000000000", "hex"), "int64")).toThrow(/int64_val\) has wire type 1/);
    expect(() => decodeValue(Buffer.from("29" + "0000", "hex"), "float64")).toThrow(MalformedValueError);
    expect(() => decodeValue(Buffer.from("12" + "05" + "41", "hex"), "string")).toThrow(MalformedValueError);
  });

  it("refuses to encode a value that does not fit the dtype", () => {
    expect(() => encodeValue("12a", "float64")).toThrow(/expected a number/);
    expect(() => encodeValue(2 ** 31, "int32")).toThrow(/32-bit/);
  });
});

describe("google.protobuf.Timestamp", () => {
  it("round-trips with millisecond precision", () => {
    const t = new Date(1700000000123);
    const bytes = encodeTimestamp(t);
    // seconds = 1700000000 (field 1 varint), nanos = 123000000 (field 2 varint)
    expect(hex(bytes)).toBe("08" + "80e2cfaa06" + "10" + "c0a9d33a");
    expect(decodeTimestamp(bytes).getTime()).toBe(t.getTime());
  });
});

describe("Redis layout", () => {
  it("names a feature field by MurmurHash3 x86_32 (seed 0) of view:feature, little-endian", () => {
    // Reference values of MurmurHash3_x86_32 with seed 0.
    expect(murmurhash.v3("", 0)).toBe(0);
    expect(murmurhash.v3("hello", 0)).toBe(0x248bfa47);
    expect(murmurhash.v3(Buffer.from("The quick brown fox jumps over the lazy dog"), 0)).toBe(0x2e4ff723);
    const h = murmurhash.v3(Buffer.from("user_stats:txn_count_1h"), 0);
    const field = featureField("user_stats", "txn_count_1h");
    expect(field.readUInt32LE(0)).toBe(h);
    expect(field.length).toBe(4);
  });

  it("keys a hash by the serialized entity key followed by the project name", () => {
    const key = redisKey(serializeEntityKey({ driver_id: 1002 }, ["driver_id"], { driver_id: "int64" }), "driver_ranking");
    expect(key.subarray(key.length - "driver_ranking".length).toString()).toBe("driver_ranking");
    expect(hex(key.subarray(0, 37))).toMatch(/^01000000/);
  });
});
