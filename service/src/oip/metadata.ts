// Server and model metadata, the same over REST and gRPC.
import type { Manifest } from "../model/manifest";
import { OIP_DATATYPE } from "./tensors";

/** `binary_tensor_data` tells Triton's and KServe's REST clients they may send raw bytes. */
export const SERVER_METADATA = { name: "inference-blueprint", version: "0.1.0", extensions: ["binary_tensor_data"] };

export interface TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}

export function modelMetadata(m: Manifest): ModelMetadata {
  return {
    name: m.name,
    versions: [m.version],
    platform: "onnxruntime_onnx",
    inputs: [{ name: m.input.name, datatype: OIP_DATATYPE[m.input.dtype], shape: m.input.shape }],
    outputs: m.outputs.map((o) => ({ name: o.name, datatype: OIP_DATATYPE[o.dtype], shape: o.shape })),
  };
}
