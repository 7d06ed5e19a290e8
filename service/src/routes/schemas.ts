// Route schemas derived from the manifest: the request body names exactly the model's join keys
// and request features with their types, so validation, error messages, serialization and the
// OpenAPI document all come from one place.
import { Type, type TSchema } from "@sinclair/typebox";
import type { FastifySchema } from "fastify";
import type { FeatureDtype, Manifest } from "../model/manifest";

export const MAX_INSTANCES = 1000;

export const ErrorBody = Type.Object(
  {
    error: Type.String({ description: "What was wrong and what is expected." }),
    field: Type.Optional(Type.String({ description: "The offending field, as a dotted path." })),
  },
  { $id: "Error" },
);

/** The largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** A request value of `dtype`: JSON numbers outside the dtype's range are refused, not wrapped. */
/**
 * For the OpenAPI document only (a @fastify/swagger `transform`; serialization is untouched): a
 * route that takes a body or path parameters can also answer a 4xx from the app-wide handlers
 * (400 bad body, 401/403 API key, 404, 405, 413, 414, 415) and a 503 (model not ready, store
 * down, shutting down), all as ErrorBody. Routes keep what they declare.
 */
export function documentErrorResponses({ schema, url }: { schema: FastifySchema; url: string }): { schema: FastifySchema; url: string } {
  if (!schema || (schema as { hide?: boolean }).hide || (!schema.body && !schema.params)) return { schema, url };
  const declared = (schema.response ?? {}) as Record<string, unknown>;
  const codes = Object.keys(declared).map((k) => k.toLowerCase());
  // Without a declared success, the document would otherwise lose its implicit 200.
  const response: Record<string, unknown> = codes.some((c) => c.startsWith("2")) ? { ...declared } : { 200: {}, ...declared };
  if (!codes.some((c) => c.startsWith("4"))) response["4xx"] = ErrorBody;
  if (!codes.includes("503") && !codes.includes("5xx")) response["503"] = ErrorBody;
  return { schema: { ...schema, response }, url };
}

function valueSchema(dtype: FeatureDtype): TSchema {
  switch (dtype) {
    case "int32":
      return Type.Integer({ minimum: -(2 ** 31), maximum: 2 ** 31 - 1 });
    case "int64":
      // A JSON number is exact only up to 2^53.
      return Type.Integer({ minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER });
    case "float32":
      return Type.Number({ minimum: -FLOAT32_MAX, maximum: FLOAT32_MAX });
    case "float64":
      return Type.Number();
    case "bool":
      return Type.Boolean();
    case "string":
      return Type.String({ maxLength: 1024 });
  }
}

interface InstanceParts {
  entity: TSchema;
  features: TSchema;
  /** Whether the model has request features without a default. */
  featuresRequired: boolean;
}

function instanceParts(manifest: Manifest | undefined): InstanceParts {
  if (!manifest) {
    return {
      entity: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()])),
      features: Type.Record(Type.String(), Type.Unknown()),
      featuresRequired: false,
    };
  }
  const entity = Object.fromEntries(
    manifest.entities.map((e) => [
      e.name,
      e.dtype === "string"
        ? Type.String({ minLength: 1, maxLength: 1024 })
        : // Ids beyond 2^53 arrive as decimal strings; the route checks the dtype's exact range.
          Type.Union([
            Type.Integer({ minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }),
            Type.String({ pattern: "^-?[0-9]{1,19}$" }),
          ]),
    ]),
  );
  const features: Record<string, TSchema> = {};
  let featuresRequired = false;
  for (const f of manifest.features) {
    if (f.source.kind !== "request") continue;
    const schema = valueSchema(f.dtype);
    if (f.default === null) {
      features[f.source.field] = schema;
      featuresRequired = true;
    } else {
      // null (or absent) means "use the default", as pandas' NaN → null would send it.
      features[f.source.field] = Type.Optional(Type.Union([schema, Type.Null()]));
    }
  }
  return {
    entity: Type.Object(entity, { additionalProperties: false }),
    features: Type.Object(features, { additionalProperties: false }),
    featuresRequired,
  };
}

/**
 * One body, two forms: `{ entity, features }` or `{ instances: [{ entity, features }, ...] }`.
 * Kept as one object (not anyOf) so a validation error names the exact field.
 */
export function predictBodySchema(manifest: Manifest | undefined): TSchema {
  // One object per manifest: the public and admin listeners then share one compiled validator.
  const key = manifest ?? NO_MANIFEST;
  let schema = predictBodySchemas.get(key);
  if (!schema) predictBodySchemas.set(key, (schema = buildPredictBodySchema(manifest)));
  return schema;
}

const NO_MANIFEST = {};
const predictBodySchemas = new WeakMap<object, TSchema>();

function buildPredictBodySchema(manifest: Manifest | undefined): TSchema {
  const parts = instanceParts(manifest);
  const instance = Type.Object(
    { entity: parts.entity, features: parts.featuresRequired ? parts.features : Type.Optional(parts.features) },
    { additionalProperties: false },
  );
  return Type.Object(
    {
      entity: Type.Optional(parts.entity),
      features: Type.Optional(parts.features),
      instances: Type.Optional(
        Type.Array(
          // KServe V1: an array instance is a row of the model's encoded input tensor.
          Type.Union([instance, Type.Array(Type.Unknown(), { description: "KServe V1 tensor row" })]),
          { minItems: 1, maxItems: MAX_INSTANCES },
        ),
      ),
    },
    { additionalProperties: false },
  );
}

const PredictionSchema = Type.Object({
  label: Type.String(),
  probabilities: Type.Record(Type.String(), Type.Number()),
  defaulted: Type.Array(Type.String(), { description: "Features that took the manifest's default." }),
});

const ModelRef = Type.Object({ name: Type.String(), version: Type.String() });

/** One schema for both forms (not oneOf), so the serializer stays a straight-line function. */
export const PredictResponse = Type.Object({
  model: ModelRef,
  label: Type.Optional(Type.String()),
  probabilities: Type.Optional(Type.Record(Type.String(), Type.Number())),
  defaulted: Type.Optional(Type.Array(Type.String(), { description: "Features that took the manifest's default." })),
  predictions: Type.Optional(Type.Array(PredictionSchema, { description: "With `instances`: one per instance, in order." })),
});

// Open Inference Protocol v2 (KServe): https://kserve.github.io/website/latest/modelserving/data_plane/v2_protocol/
export const OIP_DATATYPES = ["BOOL", "UINT8", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64", "BYTES"] as const;

const NestedNumbers = Type.Array(Type.Unknown());

export const InferRequest = Type.Object(
  {
    id: Type.Optional(Type.String()),
    // KServe's clients repeat the model in the body; checked against the path.
    model_name: Type.Optional(Type.String()),
    model_version: Type.Optional(Type.String()),
    parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    inputs: Type.Array(
      Type.Object(
        {
          name: Type.String(),
          shape: Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1, maxItems: 8 }),
          datatype: Type.Union(OIP_DATATYPES.map((d) => Type.Literal(d))),
          parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
          // Absent when the binary tensor extension carries the elements (parameters.binary_data_size).
          data: Type.Optional(NestedNumbers),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
    outputs: Type.Optional(
      Type.Array(
        Type.Object(
          { name: Type.String(), parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown())) },
          { additionalProperties: false },
        ),
      ),
    ),
  },
  { additionalProperties: false },
);

const TensorMetadata = Type.Object({
  name: Type.String(),
  datatype: Type.String(),
  shape: Type.Array(Type.Integer()),
});

export const ModelMetadata = Type.Object({
  name: Type.String(),
  versions: Type.Array(Type.String()),
  platform: Type.String(),
  inputs: Type.Array(TensorMetadata),
  outputs: Type.Array(TensorMetadata),
});

export const InferResponse = Type.Object({
  model_name: Type.String(),
  model_version: Type.String(),
  id: Type.Optional(Type.String()),
  outputs: Type.Array(
    Type.Object({
      name: Type.String(),
      datatype: Type.String(),
      shape: Type.Array(Type.Integer()),
      parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      // Absent for an output sent with the binary tensor extension.
      data: Type.Optional(Type.Array(Type.Number())),
    }),
  ),
});
