// The binary tensor data extension of OIP v2 REST (Triton's `binary_tensor_data`, which KServe's
// clients speak too): a body is a JSON inference header of `Inference-Header-Content-Length`
// bytes followed by the tensors' raw bytes, each input sized by `parameters.binary_data_size`.
// Outputs come back the same way when asked for with `parameters.binary_data` on an output or
// `parameters.binary_data_output` on the request.
import { HttpError } from "../errors";
import { tensorBytes, tensorNumbers, type OutputTensor } from "./tensors";

export const HEADER_LENGTH = "inference-header-content-length";
export const BINARY_CONTENT_TYPE = "application/octet-stream";

/** A body split into its JSON header and the binary section after it (empty without the extension). */
export function splitBody(body: Buffer, headerLength: string | string[] | undefined): { json: string; binary: Buffer } {
  if (headerLength === undefined) return { json: body.toString("utf8"), binary: Buffer.alloc(0) };
  const n = Number(headerLength);
  if (typeof headerLength !== "string" || !Number.isInteger(n) || n < 0 || n > body.length) {
    throw new HttpError(400, "bad_request", `Inference-Header-Content-Length "${String(headerLength)}": expected an integer from 0 to the body's ${body.length} bytes`);
  }
  return { json: body.subarray(0, n).toString("utf8"), binary: body.subarray(n) };
}

type Parameters = Record<string, unknown> | undefined;

/** `parameters.binary_data_size` of an input, or undefined when its data is JSON. */
export function binaryDataSize(parameters: Parameters, field: string): number | undefined {
  const size = parameters?.binary_data_size;
  if (size === undefined) return undefined;
  if (typeof size !== "number" || !Number.isInteger(size) || size < 0) {
    throw new HttpError(400, "bad_request", `${field}.parameters.binary_data_size: expected a byte count, got ${JSON.stringify(size)}`, `${field}.parameters.binary_data_size`);
  }
  return size;
}

/** Cuts the binary section into one slice per size, in order; the sizes must cover it exactly. */
export function sliceBinary(binary: Buffer, sizes: (number | undefined)[]): (Buffer | undefined)[] {
  let at = 0;
  const slices = sizes.map((size) => {
    if (size === undefined) return undefined;
    const slice = binary.subarray(at, at + size);
    at += size;
    return slice;
  });
  if (at !== binary.length) {
    throw new HttpError(
      400,
      "bad_request",
      `the binary section has ${binary.length} bytes but the inputs' parameters.binary_data_size add up to ${at}`,
      "parameters.binary_data_size",
    );
  }
  return slices;
}

function flag(parameters: Parameters, name: string): boolean | undefined {
  const v = parameters?.[name];
  if (v === undefined) return undefined;
  if (typeof v !== "boolean") throw new HttpError(400, "bad_request", `parameters.${name}: expected true or false, got ${JSON.stringify(v)}`, `parameters.${name}`);
  return v;
}

/** Which outputs go binary: an output's own `binary_data` wins over the request's `binary_data_output`. */
export function binaryOutputs(requestParameters: Parameters, outputs: { name: string; parameters?: Parameters }[] | undefined): (name: string) => boolean {
  const all = flag(requestParameters, "binary_data_output") ?? false;
  const own = new Map((outputs ?? []).map((o) => [o.name, flag(o.parameters, "binary_data")]));
  return (name) => own.get(name) ?? all;
}

export interface EncodedResponse {
  /** A plain JSON response (no output is binary). */
  json?: Record<string, unknown>;
  /** The header + binary body, and the header's length for `Inference-Header-Content-Length`. */
  binary?: { body: Buffer; headerLength: number };
}

/** The OIP response: JSON `data` per output, or a header with `binary_data_size` plus raw bytes. */
export function encodeResponse(head: Record<string, unknown>, outputs: OutputTensor[], isBinary: (name: string) => boolean): EncodedResponse {
  const chunks: Buffer[] = [];
  const described = outputs.map((o) => {
    const meta = { name: o.name, datatype: o.datatype, shape: o.shape };
    if (!isBinary(o.name)) return { ...meta, data: tensorNumbers(o.data) };
    const bytes = tensorBytes(o.data);
    chunks.push(bytes);
    return { ...meta, parameters: { binary_data_size: bytes.byteLength } };
  });
  const json = { ...head, outputs: described };
  if (chunks.length === 0) return { json };
  const header = Buffer.from(JSON.stringify(json), "utf8");
  return { binary: { body: Buffer.concat([header, ...chunks]), headerLength: header.byteLength } };
}
