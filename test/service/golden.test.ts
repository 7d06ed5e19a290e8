// Training/serving parity: every golden case written by models/train.py (raw request + online
// features → the Python pipeline's output) is reproduced by the service to the tolerance.
import { EmbeddedStore } from "../../service/src/features/embedded";
import { ServiceMetrics } from "../../service/src/metrics";
import { Predictor } from "../../service/src/predictor";
import { DEFAULTS } from "../../service/src/config";
import { examplePackage, golden, goldenStore, testConfig } from "./fixtures";

describe("golden cases (training/serving parity)", () => {
  it("ships a tolerance of 1e-5 and cases that cover both labels", () => {
    expect(golden.tolerance).toBeLessThanOrEqual(1e-5);
    const labels = new Set(golden.cases.map((c) => c.expected.label));
    expect(labels).toEqual(new Set(["legit", "fraud"]));
  });

  it("reproduces every case from the cases' own online values, one by one and as one batch", async () => {
    const pkg = await examplePackage();
    const predictor = await Predictor.create(pkg, goldenStore(pkg), new ServiceMetrics({ defaultMetrics: false }), testConfig());
    const instances = golden.cases.map((c) => ({ entity: c.entity, features: c.request }));
    const batch = await predictor.predict(instances);
    for (const [i, c] of golden.cases.entries()) {
      const [one] = await predictor.predict([instances[i]]);
      for (const p of [one, batch[i]]) {
        expect({ name: c.name, label: p.label }).toEqual({ name: c.name, label: c.expected.label });
        const got = pkg.manifest.postprocess.labels.map((l) => p.probabilities[l]);
        got.forEach((v, k) => expect(Math.abs(v - c.expected.probabilities[k])).toBeLessThanOrEqual(golden.tolerance));
      }
    }
    await predictor.close();
  });

  it("reproduces the known users' cases through the embedded store loaded from the sample Parquet file", async () => {
    const pkg = await examplePackage();
    const store = await EmbeddedStore.fromParquet(DEFAULTS.embeddedFeaturesPath, pkg.manifest);
    const predictor = await Predictor.create(pkg, store, new ServiceMetrics({ defaultMetrics: false }), testConfig());
    const known = golden.cases.filter((c) => Object.values(c.online).some((v) => v !== null));
    expect(known.length).toBeGreaterThan(10);
    const predictions = await predictor.predict(known.map((c) => ({ entity: c.entity, features: c.request })));
    predictions.forEach((p, i) => {
      const c = known[i];
      expect({ name: c.name, label: p.label }).toEqual({ name: c.name, label: c.expected.label });
      pkg.manifest.postprocess.labels.forEach((l, k) =>
        expect(Math.abs(p.probabilities[l] - c.expected.probabilities[k])).toBeLessThanOrEqual(golden.tolerance),
      );
    });
    await predictor.close();
  });
});
