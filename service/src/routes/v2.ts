// Open Inference Protocol v2 (REST), as KServe, Triton and MLServer speak it: health, server and
// model metadata, and raw-tensor inference. Errors are `{ "error": "…" }` with 400.
import type { FastifyPluginAsync } from "fastify";
import * as ort from "onnxruntime-node";
import { HttpError } from "../errors";
import type { Manifest } from "../model/manifest";
import type { Serving } from "../serving";
import { notReadyReason } from "./health";
import { servedModel } from "./predict";
import { ErrorBody, InferRequest, InferResponse, ModelMetadata } from "./schemas";
import type { Static } from "@sinclair/typebox";

const SERVER = { name: "inference-blueprint", version: "0.1.0", extensions: [] as string[] };
const MAX_ROWS = 10_000;

type TensorDtype = Manifest["input"]["dtype"];
const OIP_DATATYPE: Record<TensorDtype, string> = { float32: "FP32", float64: "FP64", int64: "INT64", int32: "INT32" };

function metadata(m: Manifest): Static<typeof ModelMetadata> {
  return {
    name: m.name,
    versions: [m.version],
    platform: "onnxruntime_onnx",
    inputs: [{ name: m.input.name, datatype: OIP_DATATYPE[m.input.dtype], shape: m.input.shape }],
    outputs: m.outputs.map((o) => ({ name: o.name, datatype: OIP_DATATYPE[o.dtype], shape: o.shape })),
  };
}

/** Flattens nested row-major data, checking every element is a finite number. */
function flatten(data: unknown[], field: string): number[] {
  const out: number[] = [];
  const walk = (values: unknown[]) => {
    for (const v of values) {
      if (Array.isArray(v)) walk(v);
      else if (typeof v === "number" && Number.isFinite(v)) out.push(v);
      else throw new HttpError(400, "bad_request", `${field}: expected numbers, got ${JSON.stringify(v)}`, field);
    }
  };
  walk(data);
  return out;
}

function inputTensor(m: Manifest, req: Static<typeof InferRequest>): ort.Tensor {
  const expected = m.input;
  req.inputs.forEach((input, i) => {
    if (input.name !== expected.name) {
      throw new HttpError(400, "bad_request", `inputs[${i}].name "${input.name}": this model's only input is "${expected.name}"`, `inputs[${i}].name`);
    }
  });
  if (req.inputs.length !== 1) {
    throw new HttpError(400, "bad_request", `inputs: expected exactly one tensor named "${expected.name}", got ${req.inputs.length}`, "inputs");
  }
  const input = req.inputs[0];
  const datatype = OIP_DATATYPE[expected.dtype];
  if (input.datatype !== datatype) {
    throw new HttpError(400, "bad_request", `inputs[0].datatype "${input.datatype}": expected "${datatype}"`, "inputs[0].datatype");
  }
  const shape = input.shape;
  const fits =
    shape.length === expected.shape.length &&
    shape.every((d, k) => (expected.shape[k] === -1 ? d >= 1 && d <= MAX_ROWS : d === expected.shape[k]));
  if (!fits) {
    throw new HttpError(
      400,
      "bad_request",
      `inputs[0].shape ${JSON.stringify(shape)}: expected ${JSON.stringify(expected.shape).replace("-1", "N")} with 1 ≤ N ≤ ${MAX_ROWS}`,
      "inputs[0].shape",
    );
  }
  const values = flatten(input.data, "inputs[0].data");
  const size = shape.reduce((a, b) => a * b, 1);
  if (values.length !== size) {
    throw new HttpError(400, "bad_request", `inputs[0].data has ${values.length} elements but shape ${JSON.stringify(shape)} needs ${size}`, "inputs[0].data");
  }
  switch (expected.dtype) {
    case "float32":
      return new ort.Tensor("float32", Float32Array.from(values), shape);
    case "float64":
      return new ort.Tensor("float64", Float64Array.from(values), shape);
    case "int32":
      return new ort.Tensor("int32", Int32Array.from(values), shape);
    case "int64":
      return new ort.Tensor("int64", BigInt64Array.from(values.map((v) => BigInt(Math.trunc(v)))), shape);
  }
}

export const v2Routes: FastifyPluginAsync<{ serving: Serving }> = async (app, { serving }) => {
  const tags = ["open inference protocol v2"];
  const nameParams = {
    type: "object",
    properties: { name: { type: "string" }, version: { type: "string" } },
    required: ["name"],
  } as const;

  app.get("/v2", { schema: { tags, summary: "Server metadata." } }, async () => SERVER);
  app.get("/v2/health/live", { schema: { tags } }, async () => ({ live: true }));
  app.get("/v2/health/ready", { schema: { tags } }, async (_req, reply) => {
    const reason = await notReadyReason(serving);
    // The protocol: 200 means ready, a 4xx means not (Triton answers 400 too).
    if (reason) return reply.code(400).send({ ready: false, error: reason });
    return { ready: true };
  });

  for (const prefix of ["/v2/models/:name", "/v2/models/:name/versions/:version"]) {
    app.get<{ Params: { name: string; version?: string } }>(
      prefix,
      { schema: { tags, summary: "Model metadata.", params: nameParams, response: { 200: ModelMetadata, "4xx": ErrorBody, 503: ErrorBody } } },
      async (request) => metadata(servedModel(serving, request.params.name, request.params.version).manifest),
    );
    app.get<{ Params: { name: string; version?: string } }>(
      `${prefix}/ready`,
      { schema: { tags, summary: "Model readiness.", params: nameParams } },
      async (request, reply) => {
        servedModel(serving, request.params.name, request.params.version);
        const reason = await notReadyReason(serving);
        if (reason) return reply.code(400).send({ name: request.params.name, ready: false, error: reason });
        return { name: request.params.name, ready: true };
      },
    );
    app.post<{ Params: { name: string; version?: string }; Body: Static<typeof InferRequest> }>(
      `${prefix}/infer`,
      {
        schema: {
          tags,
          summary: "Run the model on raw tensors.",
          params: nameParams,
          body: InferRequest,
          response: { 200: InferResponse, "4xx": ErrorBody, 503: ErrorBody },
        },
      },
      async (request) => {
        const predictor = servedModel(serving, request.params.name, request.params.version);
        const m = predictor.manifest;
        const wanted = request.body.outputs?.map((o) => o.name) ?? m.outputs.map((o) => o.name);
        const unknown = wanted.find((n) => !m.outputs.some((o) => o.name === n));
        if (unknown !== undefined) {
          throw new HttpError(400, "bad_request", `outputs: "${unknown}" is not an output of ${m.name}; expected ${m.outputs.map((o) => o.name).join(", ")}`, "outputs");
        }
        const result = await predictor.session.run({ [m.input.name]: inputTensor(m, request.body) });
        return {
          model_name: m.name,
          model_version: m.version,
          id: request.body.id,
          outputs: wanted.map((name) => {
            const spec = m.outputs.find((o) => o.name === name)!;
            const t = result[name];
            return { name, datatype: OIP_DATATYPE[spec.dtype], shape: [...t.dims], data: Array.from(t.data, Number) };
          }),
        };
      },
    );
  }
};
