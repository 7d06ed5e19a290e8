// Open Inference Protocol v2 tensors, transport-free. REST JSON, REST with the binary tensor
// extension, gRPC typed contents and gRPC raw contents all decode into one `InferCall` and are
// checked here once, then run through the Predictor: the protocols cannot drift apart.
import * as ort from "onnxruntime-node";
import { HttpError } from "../errors";
import type { Manifest } from "../model/manifest";
import type { TensorData } from "../model/session";
import type { Protocol } from "../metrics";
import type { Predictor } from "../predictor";

export type TensorDtype = Manifest["input"]["dtype"];

/** The OIP datatype of each tensor dtype a manifest can declare (no string tensors: no BYTES). */
export const OIP_DATATYPE = { float32: "FP32", float64: "FP64", int32: "INT32", int64: "INT64" } as const satisfies Record<TensorDtype, string>;
export type OipDatatype = (typeof OIP_DATATYPE)[TensorDtype];

/** Most rows one inference call takes. */
export const MAX_ROWS = 10_000;

const FP32_MAX = 3.4028234663852886e38;
const BYTES_PER_ELEMENT: Record<TensorDtype, number> = { float32: 4, float64: 8, int32: 4, int64: 8 };

/** Tensor contents as they arrived. */
export type TensorContents =
  /** REST JSON `data`: flat or nested row-major. */
  | { kind: "json"; data: unknown[] }
  /** gRPC typed contents (`fp32_contents`, `int64_contents`, …). */
  | { kind: "list"; values: ArrayLike<number> }
  /** Little-endian row-major bytes: the REST binary extension or gRPC `raw_input_contents`. */
  | { kind: "raw"; bytes: Uint8Array };

export interface InputTensor {
  name: string;
  datatype: string;
  shape: number[];
  contents: TensorContents | undefined;
  /** How the caller names this tensor's data in errors, e.g. `inputs[0].data`. */
  field: string;
}

export interface OutputTensor {
  name: string;
  datatype: OipDatatype;
  shape: number[];
  data: TensorData;
}

function badRequest(field: string, message: string): HttpError {
  return new HttpError(400, "bad_request", `${field}: ${message}`, field);
}

/** The input's shape, checked against the model's (-1 is the batch dimension, 1 ≤ N ≤ MAX_ROWS). */
function checkShape(m: Manifest, input: InputTensor, field: string): number {
  const expected = m.input.shape;
  const shape = input.shape;
  const fits =
    shape.length === expected.length &&
    shape.every((d, k) => Number.isInteger(d) && (expected[k] === -1 ? d >= 1 && d <= MAX_ROWS : d === expected[k]));
  if (!fits) {
    const want = `${JSON.stringify(expected).replace("-1", "N")} with 1 ≤ N ≤ ${MAX_ROWS}`;
    throw new HttpError(400, "bad_request", `${field} ${JSON.stringify(shape)}: expected ${want}`, field);
  }
  return shape.reduce((a, b) => a * b, 1);
}

/** Flattens nested row-major JSON data without recursion, at most `depth` levels deep. */
function flatten(data: unknown[], depth: number, field: string): unknown[] {
  const out: unknown[] = [];
  const stack: { values: unknown[]; next: number }[] = [{ values: data, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.next >= top.values.length) {
      stack.pop();
      continue;
    }
    const v = top.values[top.next++];
    if (Array.isArray(v)) {
      if (stack.length >= depth) throw badRequest(field, `nested deeper than the shape's ${depth} dimensions`);
      stack.push({ values: v, next: 0 });
    } else {
      out.push(v);
    }
  }
  return out;
}

/** Why `v` cannot be an element of a `dtype` tensor, or undefined when it can. */
function elementProblem(dtype: TensorDtype, v: unknown): string | undefined {
  if (typeof v !== "number" || !Number.isFinite(v)) return "expected finite numbers";
  switch (dtype) {
    case "float32":
      return Math.abs(v) > FP32_MAX ? `outside the FP32 range ±${FP32_MAX}` : undefined;
    case "float64":
      return undefined;
    case "int32":
      return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 ? undefined : "expected integers from -2147483648 to 2147483647";
    case "int64":
      return Number.isSafeInteger(v) ? undefined : "expected integers from -(2^53-1) to 2^53-1";
  }
}

function describe(v: unknown): string {
  const text = typeof v === "number" ? String(v) : (JSON.stringify(v) ?? String(v));
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function fromNumbers(dtype: TensorDtype, values: ArrayLike<unknown>, field: string): TensorData {
  for (let i = 0; i < values.length; i++) {
    const problem = elementProblem(dtype, values[i]);
    if (problem) throw badRequest(field, `${problem}, got ${describe(values[i])} at element ${i}`);
  }
  const numbers = values as ArrayLike<number>;
  switch (dtype) {
    case "float32":
      return Float32Array.from(numbers);
    case "float64":
      return Float64Array.from(numbers);
    case "int32":
      return Int32Array.from(numbers);
    case "int64":
      return BigInt64Array.from(Array.from(numbers, (v) => BigInt(v)));
  }
}

function fromBytes(dtype: TensorDtype, bytes: Uint8Array, size: number, field: string): TensorData {
  const expected = size * BYTES_PER_ELEMENT[dtype];
  if (bytes.byteLength !== expected) {
    throw badRequest(field, `has ${bytes.byteLength} bytes but ${size} ${OIP_DATATYPE[dtype]} elements need ${expected}`);
  }
  // A copy (Buffer#slice would share memory): the source may be a view into a larger buffer, at
  // an offset no typed array of this width can start at.
  const buffer = new Uint8Array(bytes).buffer;
  switch (dtype) {
    case "float32": {
      const data = new Float32Array(buffer);
      const bad = data.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw badRequest(field, `expected finite numbers, got ${data[bad]} at element ${bad}`);
      return data;
    }
    case "float64": {
      const data = new Float64Array(buffer);
      const bad = data.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw badRequest(field, `expected finite numbers, got ${data[bad]} at element ${bad}`);
      return data;
    }
    case "int32":
      return new Int32Array(buffer);
    case "int64":
      return new BigInt64Array(buffer);
  }
}

/** The model's input tensor from the call's inputs, or a 400 naming what is wrong. */
export function inputTensor(m: Manifest, inputs: InputTensor[]): ort.Tensor {
  const expected = m.input;
  inputs.forEach((input, i) => {
    if (input.name !== expected.name) {
      throw new HttpError(400, "bad_request", `inputs[${i}].name "${input.name}": this model's only input is "${expected.name}"`, `inputs[${i}].name`);
    }
  });
  if (inputs.length !== 1) {
    throw new HttpError(400, "bad_request", `inputs: expected exactly one tensor named "${expected.name}", got ${inputs.length}`, "inputs");
  }
  const input = inputs[0];
  const datatype = OIP_DATATYPE[expected.dtype];
  if (input.datatype !== datatype) {
    throw new HttpError(400, "bad_request", `inputs[0].datatype "${input.datatype}": expected "${datatype}"`, "inputs[0].datatype");
  }
  const size = checkShape(m, input, "inputs[0].shape");
  const contents = input.contents;
  if (!contents) throw badRequest(input.field, "required: the tensor's elements");
  let data: TensorData;
  if (contents.kind === "raw") {
    data = fromBytes(expected.dtype, contents.bytes, size, input.field);
  } else {
    const values = contents.kind === "json" ? flatten(contents.data, input.shape.length, input.field) : contents.values;
    if (values.length !== size) {
      throw badRequest(input.field, `has ${values.length} elements but shape ${JSON.stringify(input.shape)} needs ${size}`);
    }
    data = fromNumbers(expected.dtype, values, input.field);
  }
  return new ort.Tensor(expected.dtype, data, input.shape);
}

/** The outputs to return: all of the model's, or the requested ones (a 400 names an unknown one). */
export function requestedOutputs(m: Manifest, names: string[] | undefined): Manifest["outputs"] {
  if (!names || names.length === 0) return m.outputs;
  return names.map((name, i) => {
    const spec = m.outputs.find((o) => o.name === name);
    if (!spec) {
      throw new HttpError(400, "bad_request", `outputs[${i}].name "${name}" is not an output of ${m.name}; expected ${m.outputs.map((o) => o.name).join(", ")}`, `outputs[${i}].name`);
    }
    return spec;
  });
}

/**
 * Checks a model name or version the body repeats (KServe's clients send `model_name`) against
 * the served model.
 */
export function checkModelNamed(m: Manifest, field: string, value: string | undefined, kind: "name" | "version"): void {
  if (value === undefined || value === "") return;
  const served = kind === "name" ? m.name : m.version;
  if (value !== served) {
    throw new HttpError(400, "bad_request", `${field} "${describe(value).replace(/^"|"$/g, "")}": this service serves model ${kind} "${served}"`, field);
  }
}

/** Runs one OIP inference through the Predictor and returns the requested outputs. */
export async function infer(predictor: Predictor, inputs: InputTensor[], outputNames: string[] | undefined, protocol: Protocol): Promise<OutputTensor[]> {
  const m = predictor.manifest;
  const wanted = requestedOutputs(m, outputNames);
  const result = await predictor.infer(inputTensor(m, inputs), protocol);
  return wanted.map((spec) => {
    const t = result[spec.name];
    return { name: spec.name, datatype: OIP_DATATYPE[spec.dtype], shape: [...t.dims], data: t.data };
  });
}

/** A tensor's elements as little-endian bytes (the host's order on x86-64 and arm64). */
export function tensorBytes(data: TensorData): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** A tensor's elements as JSON numbers (INT64 beyond 2^53 would lose precision; model outputs stay small). */
export function tensorNumbers(data: TensorData): number[] {
  return Array.from(data as ArrayLike<number | bigint>, Number);
}
