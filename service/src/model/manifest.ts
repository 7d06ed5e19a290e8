// The model package's manifest: what the model needs as input, where each feature comes from,
// how it is encoded, and what the outputs mean. Validated when a package is loaded.
import { Type, type Static } from "@sinclair/typebox";
// The two functions, not the Value namespace: a bundle then carries only what they need.
import { Errors } from "@sinclair/typebox/errors";
import { Check } from "@sinclair/typebox/value";

const Name = Type.String({ pattern: "^[A-Za-z_][A-Za-z0-9_]*$", maxLength: 128 });

/** Value types an entity key or a stored feature may have (a subset of Feast's ValueType). */
export const FeatureDtype = Type.Union([
  Type.Literal("int32"),
  Type.Literal("int64"),
  Type.Literal("float32"),
  Type.Literal("float64"),
  Type.Literal("bool"),
  Type.Literal("string"),
]);
export type FeatureDtype = Static<typeof FeatureDtype>;

export const EntityKeySpec = Type.Object(
  {
    name: Name,
    dtype: Type.Union([Type.Literal("int64"), Type.Literal("int32"), Type.Literal("string")]),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const FeatureViewSpec = Type.Object(
  {
    name: Name,
    /** Join keys of this view, names from `entities`. */
    entities: Type.Array(Name, { minItems: 1 }),
    /** Values older than this are reported OUTSIDE_MAX_AGE and replaced by defaults; 0 = no limit. */
    ttlSeconds: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

const OnlineSource = Type.Object(
  { kind: Type.Literal("online"), view: Name, feature: Name },
  { additionalProperties: false },
);
const RequestSource = Type.Object(
  { kind: Type.Literal("request"), field: Name },
  { additionalProperties: false },
);

const Identity = Type.Object({ kind: Type.Literal("identity") }, { additionalProperties: false });
const Standardize = Type.Object(
  { kind: Type.Literal("standardize"), mean: Type.Number(), std: Type.Number({ exclusiveMinimum: 0 }) },
  { additionalProperties: false },
);
/** One column per category; an unknown category is all zeros (scikit-learn's handle_unknown="ignore"). */
const OneHot = Type.Object(
  { kind: Type.Literal("one_hot"), categories: Type.Array(Type.String(), { minItems: 1 }) },
  { additionalProperties: false },
);
/** One column holding the value's index in the vocabulary; an unknown value gets `oovIndex`. */
const Vocabulary = Type.Object(
  {
    kind: Type.Literal("vocabulary"),
    vocabulary: Type.Array(Type.String(), { minItems: 1 }),
    oovIndex: Type.Integer(),
  },
  { additionalProperties: false },
);
export const Encoding = Type.Union([Identity, Standardize, OneHot, Vocabulary]);
export type Encoding = Static<typeof Encoding>;

export const FeatureSpec = Type.Object(
  {
    name: Name,
    source: Type.Union([OnlineSource, RequestSource]),
    dtype: FeatureDtype,
    /** Used when the value is missing; `null` makes a request feature required. */
    default: Type.Union([Type.Number(), Type.String(), Type.Boolean(), Type.Null()]),
    encoding: Encoding,
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type FeatureSpec = Static<typeof FeatureSpec>;

const TensorDtype = Type.Union([
  Type.Literal("float32"),
  Type.Literal("float64"),
  Type.Literal("int64"),
  Type.Literal("int32"),
]);
const TensorSpec = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    dtype: TensorDtype,
    /** -1 marks the batch dimension. */
    shape: Type.Array(Type.Integer({ minimum: -1 }), { minItems: 1 }),
  },
  { additionalProperties: false },
);

export const ManifestSchema = Type.Object(
  {
    schemaVersion: Type.Literal(1),
    name: Type.String({ pattern: "^[a-z0-9][a-z0-9_-]*$", maxLength: 64 }),
    version: Type.String({ pattern: "^[A-Za-z0-9._-]+$", maxLength: 64 }),
    description: Type.Optional(Type.String()),
    artifact: Type.Object(
      { path: Type.String({ minLength: 1 }), sha256: Type.String({ pattern: "^[0-9a-f]{64}$" }) },
      { additionalProperties: false },
    ),
    /** Feast project the online features belong to (part of the Redis key and the Cassandra table name). */
    project: Name,
    entities: Type.Array(EntityKeySpec, { minItems: 1 }),
    featureViews: Type.Array(FeatureViewSpec),
    /** In the model's input column order. */
    features: Type.Array(FeatureSpec, { minItems: 1 }),
    /** When the online store is down: fail the request (503) or serve the features' defaults. */
    onStoreUnavailable: Type.Union([Type.Literal("fail"), Type.Literal("defaults")]),
    input: TensorSpec,
    outputs: Type.Array(TensorSpec, { minItems: 1 }),
    postprocess: Type.Object(
      {
        kind: Type.Literal("classification"),
        /** Output tensor holding [batch, classes] probabilities. */
        probabilities: Type.String(),
        labels: Type.Array(Type.String(), { minItems: 2 }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type Manifest = Static<typeof ManifestSchema>;

export class ManifestError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid manifest: ${problems.join("; ")}`);
    this.name = "ManifestError";
  }
}

/** Columns one feature contributes to the input row. */
export function encodedWidth(encoding: Encoding): number {
  return encoding.kind === "one_hot" ? encoding.categories.length : 1;
}

/** Checks the schema, then what a schema cannot: references, widths, dtypes. Throws ManifestError. */
export function parseManifest(json: unknown): Manifest {
  if (!Check(ManifestSchema, json)) {
    const problems = [...Errors(ManifestSchema, json)]
      .slice(0, 10)
      .map((e) => `${e.path || "/"}: ${e.message}`);
    throw new ManifestError(problems);
  }
  const m = json;
  const problems: string[] = [];
  const entityNames = new Set(m.entities.map((e) => e.name));
  const views = new Map(m.featureViews.map((v) => [v.name, v]));
  const seen = new Set<string>();
  for (const v of m.featureViews) {
    for (const e of v.entities) {
      if (!entityNames.has(e)) problems.push(`featureViews "${v.name}": entity "${e}" is not declared in entities`);
    }
  }
  for (const f of m.features) {
    if (seen.has(f.name)) problems.push(`features "${f.name}": declared twice`);
    seen.add(f.name);
    if (f.source.kind === "online" && f.default === null) {
      problems.push(`features "${f.name}": an online feature needs a default for entities the store does not have`);
    }
    if (f.source.kind === "online" && !views.has(f.source.view)) {
      problems.push(`features "${f.name}": feature view "${f.source.view}" is not declared in featureViews`);
    }
    const categorical = f.encoding.kind === "one_hot" || f.encoding.kind === "vocabulary";
    if (categorical !== (f.dtype === "string")) {
      problems.push(`features "${f.name}": encoding ${f.encoding.kind} does not fit dtype ${f.dtype}`);
    }
    if (f.default !== null && (typeof f.default === "string") !== (f.dtype === "string")) {
      problems.push(`features "${f.name}": default ${JSON.stringify(f.default)} does not fit dtype ${f.dtype}`);
    }
  }
  const width = m.features.reduce((n, f) => n + encodedWidth(f.encoding), 0);
  if (m.input.shape.length !== 2 || m.input.shape[1] !== width) {
    problems.push(`input.shape ${JSON.stringify(m.input.shape)}: expected [-1, ${width}] for the encoded features`);
  }
  const probs = m.outputs.find((o) => o.name === m.postprocess.probabilities);
  if (!probs) {
    problems.push(`postprocess.probabilities "${m.postprocess.probabilities}" is not one of the outputs`);
  } else if (probs.shape.at(-1) !== m.postprocess.labels.length) {
    problems.push(
      `output "${probs.name}" has ${probs.shape.at(-1)} classes but postprocess.labels has ${m.postprocess.labels.length}`,
    );
  }
  if (problems.length > 0) throw new ManifestError(problems);
  return m;
}
