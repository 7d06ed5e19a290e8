// The golden cases as the model's encoded input rows (what an OIP v2 or KServe V1 caller sends),
// and the friendly API's probabilities for the same cases: the two must agree to 1e-6.
import type { FastifyInstance } from "fastify";
import { Preprocessor } from "../../service/src/model/preprocess";
import type { ModelPackage } from "../../service/src/model/package";
import { golden, goldenStore } from "./fixtures";

export const PROBABILITY_TOLERANCE = 1e-6;

/** The golden cases' encoded rows, [cases × width] row-major, through the golden store's features. */
export async function encodedGoldenRows(pkg: ModelPackage): Promise<{ rows: number[][]; width: number }> {
  const pre = new Preprocessor(pkg.manifest);
  const store = goldenStore(pkg);
  const online = await store.get({
    entityKeyTypes: Object.fromEntries(pkg.manifest.entities.map((e) => [e.name, e.dtype])),
    entities: golden.cases.map((c) => c.entity),
    refs: pre.onlineRefs,
    ttlSeconds: pre.ttlSeconds,
  });
  const batch = new Float32Array(golden.cases.length * pre.width);
  golden.cases.forEach((c, i) => pre.encode(batch, i, c.request, online[i]));
  const rows = golden.cases.map((_, i) => Array.from(batch.subarray(i * pre.width, (i + 1) * pre.width)));
  return { rows, width: pre.width };
}

/** The friendly API's probabilities per golden case, in the manifest's label order. */
export async function friendlyProbabilities(app: FastifyInstance, labels: string[]): Promise<number[][]> {
  const res = await app.inject({
    method: "POST",
    url: "/v1/models/fraud:predict",
    payload: { instances: golden.cases.map((c) => ({ entity: c.entity, features: c.request })) },
  });
  if (res.statusCode !== 200) throw new Error(`friendly API answered ${res.statusCode}: ${res.body}`);
  return (res.json().predictions as { probabilities: Record<string, number> }[]).map((p) => labels.map((l) => p.probabilities[l]));
}
