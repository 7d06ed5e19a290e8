// The micro-batcher: rows queued in one event-loop turn share one model run, and each caller
// still gets the probabilities of its own rows.
import * as ort from "onnxruntime-node";
import { ModelSession } from "../../service/src/model/session";
import { Preprocessor } from "../../service/src/model/preprocess";
import { examplePackage, golden } from "./fixtures";

describe("ModelSession micro-batching", () => {
  let session: ModelSession;
  let rows: Float32Array[];

  beforeAll(async () => {
    const pkg = await examplePackage();
    const pre = new Preprocessor(pkg.manifest);
    session = await ModelSession.create(pkg.artifact, pkg.manifest, pre.width, { batchMaxSize: 64, batchWindowUs: 0 });
    rows = golden.cases.slice(0, 10).map((c) => {
      const row = new Float32Array(pre.width);
      pre.encode(row, 0, c.request, {
        values: pre.onlineRefs.map((r) => c.online[r.feature] ?? null),
        statuses: pre.onlineRefs.map((r) => (c.online[r.feature] === undefined ? "NOT_FOUND" : "PRESENT")),
      });
      return row;
    });
  });

  afterAll(() => session.release());

  it("runs the rows queued in one event-loop turn together, once", async () => {
    const alone: number[][] = [];
    for (const row of rows) alone.push(Array.from(await session.predict(row, 1)));
    await new Promise((resolve) => setImmediate(resolve)); // the session is idle: no run in flight
    const before = { ...session.batching };
    const together = await Promise.all(rows.map((row) => session.predict(row, 1)));
    expect(session.batching.runs - before.runs).toBe(1);
    expect(session.batching.rows - before.rows).toBe(rows.length);
    together.forEach((probabilities, i) => {
      expect(probabilities).toHaveLength(2);
      Array.from(probabilities).forEach((p, c) => expect(p).toBeCloseTo(alone[i][c], 6));
    });
  });

  it("batches Open Inference Protocol tensors too: one run for a turn, every output split back per caller", async () => {
    const alone = [];
    for (const row of rows) alone.push(await session.run({ input: new ort.Tensor("float32", row, [1, row.length]) }));
    await new Promise((resolve) => setImmediate(resolve));
    const before = { ...session.batching };
    // Callers with 1, 2 and 3 rows, and a predict() between them in the same turn.
    const groups = [rows.slice(0, 1), rows.slice(1, 3), rows.slice(3, 6)];
    const packed = groups.map((g) => {
      const data = new Float32Array(g.length * rows[0].length);
      g.forEach((row, i) => data.set(row, i * row.length));
      return data;
    });
    const [a, b, probabilities, c] = await Promise.all([
      session.infer(packed[0], 1),
      session.infer(packed[1], 2),
      session.predict(rows[6], 1),
      session.infer(packed[2], 3),
    ]);
    expect(session.batching.runs - before.runs).toBe(1);
    expect(session.batching.rows - before.rows).toBe(7);
    let at = 0;
    for (const [outputs, count] of [[a, 1], [b, 2], [c, 3]] as const) {
      for (const [name, single] of Object.entries(alone[0])) {
        expect(outputs[name].dims).toEqual([count, ...single.dims.slice(1)]);
        for (let r = 0; r < count; r++) {
          const mine = Array.from(outputs[name].data as ArrayLike<number | bigint>).slice(r * (outputs[name].data.length / count), (r + 1) * (outputs[name].data.length / count));
          const own = Array.from(alone[at + r][name].data as ArrayLike<number | bigint>);
          mine.forEach((v, k) => (typeof v === "bigint" ? expect(v).toBe(own[k]) : expect(v).toBeCloseTo(own[k] as number, 6)));
        }
      }
      at += count;
    }
    expect(Array.from(probabilities)[0]).toBeCloseTo(Number((alone[6].probabilities.data as Float32Array)[0]), 6);
  });

  it("splits a turn's rows into runs of at most batchMaxSize", async () => {
    const pkg = await examplePackage();
    const small = await ModelSession.create(pkg.artifact, pkg.manifest, rows[0].length, { batchMaxSize: 4, batchWindowUs: 0 });
    try {
      await Promise.all(rows.map((row) => small.predict(row, 1)));
      expect(small.batching).toEqual({ runs: 3, rows: 10 });
    } finally {
      await small.release();
    }
  });
});
