// Open Inference Protocol v2 (REST), as KServe, Triton and MLServer speak it: health, server and
// model metadata, and raw-tensor inference with JSON data or the binary tensor extension.
// Errors are `{ "error": "…", "field"? }` with a 4xx. The tensor rules live in ../oip/, shared
// with gRPC.
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import type { Static } from "@sinclair/typebox";
import { HttpError } from "../errors";
import { parseJsonBody } from "../json-body";
import { BINARY_CONTENT_TYPE, HEADER_LENGTH, binaryDataSize, binaryOutputs, encodeResponse, sliceBinary, splitBody } from "../oip/binary";
import { SERVER_METADATA, modelMetadata } from "../oip/metadata";
import { checkModelNamed, infer, type InputTensor } from "../oip/tensors";
import type { Serving } from "../serving";
import { notReadyReason } from "./health";
import { servedModel } from "./predict";
import { ErrorBody, InferRequest, InferResponse, ModelMetadata } from "./schemas";

/** The binary section of each request body, kept beside the parsed JSON header. */
const binarySections = new WeakMap<FastifyRequest, Buffer>();

type Body = Static<typeof InferRequest>;

function inputsOf(request: FastifyRequest, body: Body): InputTensor[] {
  const sizes = body.inputs.map((input, i) => binaryDataSize(input.parameters, `inputs[${i}]`));
  const slices = sliceBinary(binarySections.get(request) ?? Buffer.alloc(0), sizes);
  return body.inputs.map((input, i) => {
    const bytes = slices[i];
    if (bytes && input.data !== undefined) {
      throw new HttpError(400, "bad_request", `inputs[${i}]: give data or parameters.binary_data_size, not both`, `inputs[${i}].data`);
    }
    return {
      name: input.name,
      datatype: input.datatype,
      shape: input.shape,
      contents: bytes ? { kind: "raw", bytes } : input.data !== undefined ? { kind: "json", data: input.data } : undefined,
      field: bytes ? `inputs[${i}] binary data` : `inputs[${i}].data`,
    };
  });
}

export const v2Routes: FastifyPluginAsync<{ serving: Serving }> = async (app, { serving }) => {
  // Scoped to this plugin, over the app's JSON parsing (../json-body.ts): Triton's client sends no
  // content type, KServe's sends octet-stream in binary mode, and either may put the binary
  // extension behind a JSON header.
  const parseInfer = (request: FastifyRequest, raw: Buffer, done: (err: Error | null, body?: unknown) => void) => {
    try {
      const parts = splitBody(raw, request.headers[HEADER_LENGTH]);
      if (parts.binary.length > 0) binarySections.set(request, parts.binary);
      done(null, parseJsonBody(parts.json));
    } catch (err) {
      done(err as Error);
    }
  };
  app.removeContentTypeParser(["application/json", "*"]);
  app.addContentTypeParser(["application/json", BINARY_CONTENT_TYPE], { parseAs: "buffer" }, parseInfer);
  app.addContentTypeParser("*", { parseAs: "buffer" }, (request, raw: Buffer, done) => {
    const type = request.headers["content-type"];
    if (type !== undefined) {
      const shown = type.length > 100 ? `${type.slice(0, 100)}…` : type;
      return done(new HttpError(415, "bad_request", `unsupported content-type "${shown}": expected application/json, ${BINARY_CONTENT_TYPE} (binary tensor extension) or none`));
    }
    parseInfer(request, raw, done);
  });
  // KServe's REST client reads an error's message only when the content type is exactly
  // application/json; JSON is UTF-8 by definition (RFC 8259), so the charset parameter says nothing.
  app.addHook("onSend", async (_request, reply, payload) => {
    if (reply.getHeader("content-type") === "application/json; charset=utf-8") reply.header("content-type", "application/json");
    return payload;
  });
  const tags = ["open inference protocol v2"];
  const nameParams = {
    type: "object",
    properties: { name: { type: "string" }, version: { type: "string" } },
    required: ["name"],
  } as const;

  app.get("/v2", { schema: { tags, summary: "Server metadata." } }, async () => SERVER_METADATA);
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
      async (request) => modelMetadata(servedModel(serving, request.params.name, request.params.version).manifest),
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
      async (request, reply) => {
        const predictor = servedModel(serving, request.params.name, request.params.version);
        const body = request.body;
        const m = predictor.manifest;
        checkModelNamed(m, "model_name", body.model_name, "name");
        checkModelNamed(m, "model_version", body.model_version, "version");
        const isBinary = binaryOutputs(body.parameters, body.outputs);
        const outputs = await infer(predictor, inputsOf(request, body), body.outputs?.map((o) => o.name), "rest");
        const head = { model_name: m.name, model_version: m.version, ...(body.id !== undefined ? { id: body.id } : {}) };
        const encoded = encodeResponse(head, outputs, isBinary);
        if (encoded.binary) {
          return reply.header(HEADER_LENGTH, encoded.binary.headerLength).type(BINARY_CONTENT_TYPE).send(encoded.binary.body);
        }
        return encoded.json;
      },
    );
  }
};
