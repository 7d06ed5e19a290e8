// The OIP v2 gRPC messages as @grpc/proto-loader hands them over with LOADER_OPTIONS (field names
// as in the .proto, int64 as number), and the loaded service definition.
import { existsSync } from "node:fs";
import * as path from "node:path";
import * as protoLoader from "@grpc/proto-loader";
import { INFERENCE_SERVICE_NAME } from "./names";

export const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, longs: Number, enums: String, defaults: false, oneofs: true };

/**
 * Where grpc_predict_v2.proto is: beside this module under ts-node and in tsc's output
 * (dist/grpc/), under grpc/ beside the esbuild bundle (dist/server.js). The build copies it.
 */
export function protoPath(): string {
  const candidates = [path.join(__dirname, "proto"), path.join(__dirname, "grpc", "proto")].map((dir) => path.join(dir, "grpc_predict_v2.proto"));
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`grpc_predict_v2.proto not found in ${candidates.join(" or ")}; the build copies it there`);
  return found;
}

export function loadInferenceService(): protoLoader.ServiceDefinition {
  const pkg = protoLoader.loadSync(protoPath(), LOADER_OPTIONS);
  return pkg[INFERENCE_SERVICE_NAME] as protoLoader.ServiceDefinition;
}

export interface InferParameter {
  bool_param?: boolean;
  int64_param?: number;
  string_param?: string;
}

export interface InferTensorContents {
  bool_contents?: boolean[];
  int_contents?: number[];
  int64_contents?: number[];
  uint_contents?: number[];
  uint64_contents?: number[];
  fp32_contents?: number[];
  fp64_contents?: number[];
  bytes_contents?: Buffer[];
}

export interface ModelInferRequest {
  model_name?: string;
  model_version?: string;
  id?: string;
  parameters?: Record<string, InferParameter>;
  inputs?: {
    name?: string;
    datatype?: string;
    shape?: number[];
    parameters?: Record<string, InferParameter>;
    contents?: InferTensorContents;
  }[];
  outputs?: { name?: string; parameters?: Record<string, InferParameter> }[];
  raw_input_contents?: Buffer[];
}

export interface ModelInferResponse {
  model_name: string;
  model_version: string;
  id: string;
  outputs: { name: string; datatype: string; shape: number[]; contents?: InferTensorContents }[];
  raw_output_contents: Buffer[];
}

export interface ModelRequest {
  name?: string;
  version?: string;
}
