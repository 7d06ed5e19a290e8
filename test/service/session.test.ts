// The micro-batcher: rows queued in one event-loop turn share one model run, and each caller
// still gets the probabilities of its own rows.
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
