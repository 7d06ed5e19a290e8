// KServe's V1 protocol on the friendly route: `{"instances": [[…row…], …]}` answered by
// `{"predictions": [[…probabilities…], …]}`. An instance that is an array is a row the caller
// already preprocessed (the model's input tensor), so it goes straight to the model.
import { HttpError } from "../errors";
import type { Predictor } from "../predictor";
import { OIP_DATATYPE, infer, tensorNumbers } from "./tensors";

/** Whether `instances` are KServe V1 tensor rows (arrays) rather than `{ entity, features }` objects. */
export function areTensorRows(instances: unknown[]): boolean {
  const rows = instances.filter((i) => Array.isArray(i)).length;
  if (rows > 0 && rows < instances.length) {
    throw new HttpError(400, "bad_request", "instances: give all instances as { entity, features } objects or all as tensor rows (arrays), not a mix", "instances");
  }
  return rows > 0;
}

/** One row of the postprocess output (class probabilities) per instance. */
export async function predictRows(predictor: Predictor, instances: unknown[][]): Promise<{ predictions: number[][] }> {
  const m = predictor.manifest;
  const width = m.input.shape[m.input.shape.length - 1];
  instances.forEach((row, i) => {
    if (row.length !== width) {
      throw new HttpError(400, "bad_request", `instances[${i}]: a tensor row has ${width} values (the model's encoded input), got ${row.length}`, `instances[${i}]`);
    }
  });
  const input = {
    name: m.input.name,
    datatype: OIP_DATATYPE[m.input.dtype],
    shape: [instances.length, width],
    contents: { kind: "json" as const, data: instances },
    field: "instances",
  };
  const [probabilities] = await infer(predictor, [input], [m.postprocess.probabilities], "rest");
  const values = tensorNumbers(probabilities.data);
  const classes = m.postprocess.labels.length;
  return { predictions: instances.map((_, i) => values.slice(i * classes, (i + 1) * classes)) };
}
