// POST /get-online-features with Feast's feature-server shapes, so Feast clients and tooling
// can read this service's online store:
//   {"features": ["user_stats:txn_count_1h"], "entities": {"user_id": [1, 2]}}
//   → {"metadata": {"feature_names": ["user_id", "txn_count_1h"]},
//      "results": [{"values": [1, 2], "statuses": [...], "event_timestamps": [...]}, ...]}
// As in Feast, results are columns: the join keys first, then one per requested feature,
// each holding one value per entity.
import { Type, type Static } from "@sinclair/typebox";
import type { FastifyPluginAsync } from "fastify";
import { echo, HttpError } from "../errors";
import { joinKeyProblem, type EntityKeyDtype } from "../features/entity-key";
import { FeatureStoreUnavailableError, type EntityKey, type FeatureRef, type FeatureStore } from "../features/store";
import type { Manifest } from "../model/manifest";
import { ErrorBody } from "./schemas";

export const GET_ONLINE_FEATURES_PATH = "/get-online-features";
/** Entities per request: a bound on one request's work. */
export const MAX_ENTITIES = 1000;
/** Entities × features per request: bounds the answer's size and the time it holds the event loop. */
export const MAX_FEATURE_VALUES = 10_000;
/** Feast's event time for join key columns. */
const EPOCH = "1970-01-01T00:00:00Z";

const EntityValue = Type.Union([Type.Integer(), Type.String({ maxLength: 1024 })]);

export const GetOnlineFeaturesBody = Type.Object(
  {
    features: Type.Array(Type.String({ pattern: "^[A-Za-z_][A-Za-z0-9_]*:[A-Za-z_][A-Za-z0-9_]*$", maxLength: 256 }), {
      minItems: 1,
      maxItems: 1000,
      description: `Feature references as <feature_view>:<feature>, each at most once; entities × features at most ${MAX_FEATURE_VALUES}.`,
    }),
    entities: Type.Record(Type.String(), Type.Array(EntityValue, { minItems: 1, maxItems: MAX_ENTITIES }), {
      description: "Join key name → one value per entity, all of the same length.",
    }),
    full_feature_names: Type.Optional(Type.Boolean({ description: "Name features <view>__<feature>, as Feast does." })),
  },
  { additionalProperties: false },
);
export type GetOnlineFeaturesBody = Static<typeof GetOnlineFeaturesBody>;

const FeatureColumn = Type.Object({
  values: Type.Array(Type.Union([Type.Number(), Type.String(), Type.Boolean(), Type.Null()])),
  statuses: Type.Array(Type.String()),
  event_timestamps: Type.Array(Type.String()),
});
export const GetOnlineFeaturesResponse = Type.Object({
  metadata: Type.Object({ feature_names: Type.Array(Type.String()) }),
  results: Type.Array(FeatureColumn),
});
type GetOnlineFeaturesResponse = Static<typeof GetOnlineFeaturesResponse>;

/** Feast writes timestamps without milliseconds when they are whole seconds. */
function feastTime(t: Date | null): string {
  return t === null ? EPOCH : t.toISOString().replace(".000Z", "Z");
}

export const featureRoutes: FastifyPluginAsync<{ store: FeatureStore; manifest: Manifest }> = async (app, { store, manifest }) => {
  const online = new Map<string, FeatureRef>();
  for (const f of manifest.features) {
    if (f.source.kind === "online") {
      online.set(`${f.source.view}:${f.source.feature}`, { view: f.source.view, feature: f.source.feature, dtype: f.dtype });
    }
  }
  const views = new Map(manifest.featureViews.map((v) => [v.name, v]));
  const entityTypes: Record<string, EntityKeyDtype> = Object.fromEntries(manifest.entities.map((e) => [e.name, e.dtype]));
  // Own keys only: "constructor" or "toString" are not join keys because every object inherits them.
  const isJoinKey = (key: string) => Object.hasOwn(entityTypes, key);

  app.post<{ Body: GetOnlineFeaturesBody; Reply: GetOnlineFeaturesResponse }>(
    GET_ONLINE_FEATURES_PATH,
    {
      schema: {
        summary: "Online features in Feast's feature-server shape",
        body: GetOnlineFeaturesBody,
        response: { 200: GetOnlineFeaturesResponse, "4xx": ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const body = request.body;
      const seen = new Map<string, number>();
      const refs = body.features.map((name, i) => {
        const ref = online.get(name);
        if (!ref) {
          throw new HttpError(400, "bad_request", `features[${i}]: "${echo(name)}" is not an online feature of model ${manifest.name}; expected one of ${[...online.keys()].join(", ")}`, `features[${i}]`);
        }
        const first = seen.get(name);
        if (first !== undefined) {
          throw new HttpError(400, "bad_request", `features[${i}]: "${name}" is already requested at features[${first}]; request each feature once`, `features[${i}]`);
        }
        seen.set(name, i);
        return ref;
      });
      const keyNames = Object.keys(body.entities);
      for (const key of keyNames) {
        if (!isJoinKey(key)) {
          throw new HttpError(400, "bad_request", `entities.${echo(key)}: "${echo(key)}" is not a join key of model ${manifest.name}; expected ${Object.keys(entityTypes).join(", ")}`, `entities.${echo(key)}`);
        }
      }
      const needed = new Set(refs.flatMap((r) => views.get(r.view)?.entities ?? []));
      for (const key of needed) {
        if (!Object.hasOwn(body.entities, key)) throw new HttpError(400, "bad_request", `entities.${key}: required join key is missing`, `entities.${key}`);
      }
      if (keyNames.length === 0) throw new HttpError(400, "bad_request", "entities: expected at least one join key", "entities");
      const count = body.entities[keyNames[0]].length;
      for (const key of keyNames) {
        const values = body.entities[key];
        if (values.length !== count) {
          throw new HttpError(400, "bad_request", `entities.${key}: has ${values.length} values but entities.${keyNames[0]} has ${count}; expected one value per entity in each`, `entities.${key}`);
        }
        const dtype = entityTypes[key];
        values.forEach((v, i) => {
          const problem = joinKeyProblem(v, dtype);
          if (problem) throw new HttpError(400, "bad_request", `entities.${key}[${i}]: ${problem}`, `entities.${key}[${i}]`);
        });
      }
      if (count * refs.length > MAX_FEATURE_VALUES) {
        throw new HttpError(400, "bad_request", `${count} entities × ${refs.length} features = ${count * refs.length} values: at most ${MAX_FEATURE_VALUES} per request; split the entities over several requests`, "entities");
      }
      const entities: EntityKey[] = Array.from({ length: count }, (_, i) => Object.fromEntries(keyNames.map((k) => [k, body.entities[k][i]])));

      let vectors;
      try {
        vectors = await store.get({
          entityKeyTypes: entityTypes,
          entities,
          refs,
          ttlSeconds: Object.fromEntries(manifest.featureViews.map((v) => [v.name, v.ttlSeconds])),
        });
      } catch (err) {
        if (err instanceof FeatureStoreUnavailableError) {
          request.log.warn({ err: err.message }, "online store unavailable");
          throw new HttpError(503, "store_unavailable", `online feature store (${store.kind}) is unavailable: ${err.message}`);
        }
        throw err;
      }

      const keyColumns = keyNames.map((key) => ({
        values: body.entities[key],
        statuses: entities.map(() => "PRESENT"),
        event_timestamps: entities.map(() => EPOCH),
      }));
      const featureColumns = refs.map((_, j) => ({
        values: vectors.map((v) => v.values[j]),
        statuses: vectors.map((v) => v.statuses[j]),
        event_timestamps: vectors.map((v) => feastTime(v.eventTimestamps[j])),
      }));
      const names = refs.map((r) => (body.full_feature_names ? `${r.view}__${r.feature}` : r.feature));
      return { metadata: { feature_names: [...keyNames, ...names] }, results: [...keyColumns, ...featureColumns] };
    },
  );
};
