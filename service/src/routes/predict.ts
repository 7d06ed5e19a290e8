// The friendly API: POST /v1/models/{name}:predict with `{ entity, features }` or `{ instances }`.
import type { FastifyPluginAsync } from "fastify";
import { HttpError } from "../errors";
import type { Instance, Predictor } from "../predictor";
import { StoreUnavailableError } from "../predictor";
import { FeatureValueError, type RequestFeatures } from "../model/preprocess";
import { joinKeyProblem } from "../features/entity-key";
import type { EntityKey } from "../features/store";
import type { Serving } from "../serving";
import { ErrorBody, PredictResponse, predictBodySchema } from "./schemas";
import { areTensorRows, predictRows } from "../oip/kserve-v1";

interface PredictBody {
  entity?: EntityKey;
  features?: RequestFeatures;
  /** `{ entity, features }` objects, or KServe V1 tensor rows. */
  instances?: Instance[] | unknown[][];
}

/** The served model when it matches `name` (and `version`, if given); otherwise a 404 or 503. */
export function servedModel(serving: Serving, name: string, version?: string): Predictor {
  const p = serving.predictor;
  if (!p) throw new HttpError(503, "model_not_ready", serving.problem ?? "model not loaded yet");
  if (name !== p.name) throw new HttpError(404, "not_found", `model "${name}" not found; this service serves "${p.name}"`);
  if (version !== undefined && version !== p.version) {
    throw new HttpError(404, "not_found", `model "${name}" has no version "${version}"; this service serves version "${p.version}"`);
  }
  return p;
}

/** Runs a prediction, turning an unavailable store into a 503 and an unusable value into a 400. */
async function predictOrHttpError(predictor: Predictor, instances: Instance[], batch: boolean) {
  try {
    return await predictor.predict(instances);
  } catch (err) {
    if (err instanceof StoreUnavailableError) throw new HttpError(503, "store_unavailable", err.message);
    if (err instanceof FeatureValueError) {
      const spec = predictor.manifest.features.find((f) => f.name === err.feature);
      const name = spec?.source.kind === "request" ? `features.${spec.source.field}` : `online feature ${err.feature}`;
      const field = batch ? `instances[${err.row}].${name}` : name;
      throw new HttpError(400, "bad_request", `${field}: ${err.message}`, field);
    }
    throw err;
  }
}

/** Refuses join key values outside their dtype (a schema cannot bound int64 decimal strings). */
function checkEntity(predictor: Predictor, entity: EntityKey, at: string): void {
  for (const key of predictor.manifest.entities) {
    const value = entity[key.name];
    const problem = value === undefined ? undefined : joinKeyProblem(value, key.dtype);
    if (problem) throw new HttpError(400, "bad_request", `${at}.${key.name}: ${problem}`, `${at}.${key.name}`);
  }
}

function requiredFeatures(predictor: Predictor): string[] {
  return predictor.manifest.features.flatMap((f) => (f.source.kind === "request" && f.default === null ? [f.source.field] : []));
}

/** The friendly prediction route (a regex param: find-my-way otherwise reads the literal ":predict" as part of the param name). */
export const PREDICT_ROUTE = "/v1/models/:name(^[A-Za-z0-9_.-]+)::predict";

export const predictRoutes: FastifyPluginAsync<{ serving: Serving }> = async (app, { serving }) => {
  const manifest = serving.predictor?.manifest;
  app.post<{ Params: { name: string }; Body: PredictBody }>(
    PREDICT_ROUTE,
    {
      schema: {
        tags: ["predict"],
        summary: "Score one entity, or a batch with `instances`.",
        params: { type: "object", properties: { name: { type: "string" } }, required: ["name"] },
        body: predictBodySchema(manifest),
        response: { 200: PredictResponse, "4xx": ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const predictor = servedModel(serving, request.params.name);
      const body = request.body;
      const model = { name: predictor.name, version: predictor.version };
      if (body.instances) {
        if (body.entity || body.features) {
          throw new HttpError(400, "bad_request", "give either entity and features, or instances: not both", "instances");
        }
        if (areTensorRows(body.instances)) {
          // KServe V1's shape, outside the friendly response schema.
          // Predict first: an error must leave through the error handler with the default serializer.
          const answer = await predictRows(predictor, body.instances as unknown[][]);
          return reply.type("application/json; charset=utf-8").serializer(JSON.stringify).send(answer);
        }
        const instances = body.instances as Instance[];
        instances.forEach((instance, i) => checkEntity(predictor, instance.entity, `instances[${i}].entity`));
        return { model, predictions: await predictOrHttpError(predictor, instances, true) };
      }
      if (!body.entity) {
        throw new HttpError(400, "bad_request", "entity: required field is missing (or send instances: [...])", "entity");
      }
      checkEntity(predictor, body.entity, "entity");
      if (!body.features && requiredFeatures(predictor).length > 0) {
        throw new HttpError(400, "bad_request", `features: required field is missing; expected ${requiredFeatures(predictor).join(", ")}`, "features");
      }
      const [prediction] = await predictOrHttpError(predictor, [{ entity: body.entity, features: body.features ?? {} }], false);
      return { model, ...prediction };
    },
  );
};
