// inference.GRPCInferenceService: OIP v2 over gRPC, a thin adapter over the same tensor core
// (../oip/) and Predictor as REST. Errors are the REST errors with their status mapped to a gRPC
// code: 400 → INVALID_ARGUMENT (the message names the field, also sent as `field` metadata),
// 404 → NOT_FOUND, 503 → UNAVAILABLE. With API keys, the methods whose REST route needs a key
// (auth.ts's rules: all but the health probes) need it in metadata: `authorization: Bearer <key>`
// or `x-api-key`; none → UNAUTHENTICATED, an unknown key → PERMISSION_DENIED.
import * as grpc from "@grpc/grpc-js";
import { authenticate, authenticatedRequests, presentedKey, requiresApiKey, type ApiKeySource } from "../auth";
import { HttpError } from "../errors";
import type { ServiceMetrics } from "../metrics";
import { SERVER_METADATA, modelMetadata } from "../oip/metadata";
import { checkModelNamed, infer, tensorBytes, tensorNumbers, type InputTensor, type OipDatatype, type OutputTensor } from "../oip/tensors";
import { notReadyReason } from "../routes/health";
import { servedModel } from "../routes/predict";
import type { Serving } from "../serving";
import type { InferTensorContents, ModelInferRequest, ModelInferResponse, ModelRequest } from "./messages";

/** The typed-contents field each datatype travels in. */
const CONTENTS_FIELD: Record<OipDatatype, keyof InferTensorContents> = {
  FP32: "fp32_contents",
  FP64: "fp64_contents",
  INT32: "int_contents",
  INT64: "int64_contents",
};

const STATUS_CODE: Record<number, grpc.status> = {
  400: grpc.status.INVALID_ARGUMENT,
  401: grpc.status.UNAUTHENTICATED,
  403: grpc.status.PERMISSION_DENIED,
  404: grpc.status.NOT_FOUND,
  413: grpc.status.RESOURCE_EXHAUSTED,
  415: grpc.status.INVALID_ARGUMENT,
  503: grpc.status.UNAVAILABLE,
};

export interface Logger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Each method's REST route, so a method needs a key exactly when its route does. */
const REST_ROUTE: Record<string, string> = {
  ServerLive: "/v2/health/live",
  ServerReady: "/v2/health/ready",
  ServerMetadata: "/v2",
  ModelReady: "/v2/models/{name}/ready",
  ModelMetadata: "/v2/models/{name}",
  ModelInfer: "/v2/models/{name}/infer",
};

/** The first value of a metadata key, as text. */
const metadataText = (metadata: grpc.Metadata, key: string): string | undefined => {
  const [value] = metadata.get(key);
  return typeof value === "string" ? value : undefined;
};

/** A handler error as a gRPC status; anything that is not an HttpError is a bug (INTERNAL, logged). */
export function toServiceError(err: unknown, metrics: ServiceMetrics, log: Logger): Partial<grpc.ServiceError> {
  if (err instanceof HttpError) {
    metrics.error(err.kind);
    const metadata = new grpc.Metadata();
    if (err.field) metadata.set("field", err.field);
    return { code: STATUS_CODE[err.statusCode] ?? grpc.status.INVALID_ARGUMENT, details: err.message, metadata };
  }
  metrics.error("internal");
  log.error({ err }, "unhandled error in a gRPC call");
  return { code: grpc.status.INTERNAL, details: "internal error; see the service log" };
}

function isDatatype(d: string): d is OipDatatype {
  return d in CONTENTS_FIELD;
}

function inputsOf(request: ModelInferRequest): InputTensor[] {
  const inputs = request.inputs ?? [];
  const raw = request.raw_input_contents ?? [];
  if (raw.length > 0 && raw.length !== inputs.length) {
    throw new HttpError(400, "bad_request", `raw_input_contents: ${raw.length} entries for ${inputs.length} inputs; give one per input, in order`, "raw_input_contents");
  }
  return inputs.map((input, i) => {
    const datatype = input.datatype ?? "";
    const base = { name: input.name ?? "", datatype, shape: (input.shape ?? []).map(Number) };
    if (raw.length > 0) {
      if (input.contents) {
        throw new HttpError(400, "bad_request", `inputs[${i}].contents: give contents or raw_input_contents, not both`, `inputs[${i}].contents`);
      }
      return { ...base, contents: { kind: "raw", bytes: raw[i] }, field: `raw_input_contents[${i}]` };
    }
    const field = isDatatype(datatype) ? CONTENTS_FIELD[datatype] : undefined;
    const values = field ? (input.contents?.[field] as number[] | undefined) : undefined;
    return { ...base, contents: values ? { kind: "list", values } : undefined, field: `inputs[${i}].contents${field ? `.${field}` : ""}` };
  });
}

function typedContents(o: OutputTensor): InferTensorContents {
  return { [CONTENTS_FIELD[o.datatype]]: tensorNumbers(o.data) };
}

type Unary<Req, Res> = grpc.handleUnaryCall<Req, Res>;

/** The service implementation for `server.addService(definition, …)`. */
export function inferenceService(serving: Serving, metrics: ServiceMetrics, log: Logger, apiKeys?: ApiKeySource): grpc.UntypedServiceImplementation {
  const authenticated = apiKeys ? authenticatedRequests(metrics) : undefined;
  /** Refuses a call to a protected method without a valid key (an HttpError); counts the key id. */
  const checkKey = (method: string, metadata: grpc.Metadata) => {
    if (!apiKeys || !requiresApiKey(REST_ROUTE[method])) return;
    const authLog = { warn: (obj: object, msg: string) => log.warn({ ...obj, method }, msg), error: (msg: string) => log.error({ method }, msg) };
    const keyId = authenticate(apiKeys, presentedKey(metadataText(metadata, "x-api-key"), metadataText(metadata, "authorization")), authLog);
    authenticated?.inc({ key_id: keyId });
  };
  /** Wraps a handler: the key is checked first, and its HttpErrors become gRPC statuses. */
  const unary =
    <Req, Res>(method: string, handle: (request: Req) => Promise<Res> | Res): Unary<Req, Res> =>
    (call, callback) => {
      Promise.resolve()
        .then(() => checkKey(method, call.metadata))
        .then(() => handle(call.request))
        .then(
          (response) => callback(null, response),
          (err: unknown) => callback(toServiceError(err, metrics, log)),
        );
    };

  const ServerLive: Unary<object, { live: boolean }> = unary("ServerLive", () => ({ live: true }));
  const ServerReady: Unary<object, { ready: boolean }> = unary("ServerReady", async () => ({ ready: (await notReadyReason(serving)) === undefined }));
  const ModelReady: Unary<ModelRequest, { ready: boolean }> = unary("ModelReady", async (r) => {
    servedModel(serving, r.name ?? "", r.version || undefined);
    return { ready: (await notReadyReason(serving)) === undefined };
  });
  const ServerMetadata: Unary<object, typeof SERVER_METADATA> = unary("ServerMetadata", () => SERVER_METADATA);
  const ModelMetadata = unary("ModelMetadata", (r: ModelRequest) => modelMetadata(servedModel(serving, r.name ?? "", r.version || undefined).manifest));
  const ModelInfer: Unary<ModelInferRequest, ModelInferResponse> = unary("ModelInfer", async (request) => {
    const predictor = servedModel(serving, request.model_name ?? "", request.model_version || undefined);
    const m = predictor.manifest;
    checkModelNamed(m, "model_version", request.model_version, "version");
    const raw = (request.raw_input_contents ?? []).length > 0;
    const names = request.outputs?.map((o) => o.name ?? "");
    const outputs = await infer(predictor, inputsOf(request), names, "grpc");
    // Answer in the form asked: raw bytes for raw inputs (Triton's clients read only those),
    // typed contents otherwise (KServe's clients read either).
    return {
      model_name: m.name,
      model_version: m.version,
      id: request.id ?? "",
      outputs: outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape, ...(raw ? {} : { contents: typedContents(o) }) })),
      raw_output_contents: raw ? outputs.map((o) => tensorBytes(o.data)) : [],
    };
  });
  return { ServerLive, ServerReady, ModelReady, ServerMetadata, ModelMetadata, ModelInfer } as grpc.UntypedServiceImplementation;
}
