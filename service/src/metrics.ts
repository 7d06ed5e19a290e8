// Prometheus metrics: a histogram per request stage and error counters by kind. One registry
// per app (not prom-client's global), so several apps in one process never collide.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export const STAGES = ["features", "preprocess", "infer", "total"] as const;
export type Stage = (typeof STAGES)[number];

/** How the request arrived: REST (friendly API, OIP v2 REST, Lambda) or OIP v2 over gRPC. */
export const PROTOCOLS = ["rest", "grpc"] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const ERROR_KINDS = [
  "bad_request",
  "not_found",
  "method_not_allowed",
  "unauthorized",
  "forbidden",
  "auth_unavailable",
  "payload_too_large",
  "model_not_ready",
  "store_unavailable",
  "store_fallback",
  "internal",
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

type StageChild = ReturnType<Histogram<"stage" | "model" | "protocol">["labels"]>;

/** What the gauges look at: a store that can say whether it answers, and the model if loaded. */
export interface HealthSubject {
  predictor?: { readonly name: string; readonly session: { readonly batching: { readonly runs: number; readonly rows: number } } };
  store?: { readonly kind: string; ready(): Promise<boolean> };
}

export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly stageSeconds: Histogram<"stage" | "model" | "protocol">;
  private readonly errors: Counter<"kind">;
  private readonly predictions: Counter<"model">;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.stageSeconds = new Histogram({
      name: "inference_stage_duration_seconds",
      help: "Time spent per request stage: online features, preprocessing, model run, and the whole prediction.",
      labelNames: ["stage", "model", "protocol"],
      // 50 µs to 2.5 s: loopback feature fetches and small models live at the low end.
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    this.errors = new Counter({
      name: "inference_errors_total",
      help: "Requests that did not get a prediction, by kind.",
      labelNames: ["kind"],
      registers: [this.registry],
    });
    this.predictions = new Counter({
      name: "inference_predictions_total",
      help: "Rows predicted.",
      labelNames: ["model"],
      registers: [this.registry],
    });
    for (const kind of ERROR_KINDS) this.errors.inc({ kind }, 0);
    // Health as gauges, read at scrape time: a store outage shows here and in /readyz's body,
    // never in liveness (see routes/health.ts).
    const watched = () => this.watched;
    new Gauge({
      name: "inference_model_loaded",
      help: "1 when the model is loaded and predictions can be served, 0 when loading gave up.",
      registers: [this.registry],
      collect() {
        this.set(watched()?.predictor ? 1 : 0);
      },
    });
    // The micro-batcher's own counts, read at scrape time (nothing per request): rows per run
    // is what concurrent requests gained by sharing model runs.
    const batching = (name: string, help: string, count: (b: { runs: number; rows: number }) => number) =>
      new Counter({
        name,
        help,
        labelNames: ["model"],
        registers: [this.registry],
        collect() {
          const predictor = watched()?.predictor;
          this.reset();
          if (predictor) this.inc({ model: predictor.name }, count(predictor.session.batching));
        },
      });
    batching("inference_model_runs_total", "Model runs through the micro-batcher.", (b) => b.runs);
    batching("inference_batched_rows_total", "Rows those runs took: divided by inference_model_runs_total, the rows per run.", (b) => b.rows);
    new Gauge({
      name: "inference_feature_store_up",
      help: "1 when the online feature store answers now, 0 when it does not.",
      labelNames: ["store"],
      registers: [this.registry],
      async collect() {
        const store = watched()?.store;
        if (store) this.set({ store: store.kind }, (await store.ready()) ? 1 : 0);
      },
    });
  }

  private watched?: HealthSubject;

  /** The model and store whose health the gauges report. */
  watch(subject: HealthSubject): void {
    this.watched = subject;
  }

  // Label children resolved once per (model, protocol, stage) and looked up without building a key:
  // observe() on the parent validates and hashes the labels on every call, on every request's path.
  private readonly stageChildren = new Map<string, Record<Protocol, Partial<Record<Stage, StageChild>>>>();

  /** Seconds since `startedAt` (a `performance.now()` reading) in the stage's histogram. */
  observe(stage: Stage, model: string, startedAt: number, protocol: Protocol = "rest"): void {
    let byProtocol = this.stageChildren.get(model);
    if (!byProtocol) this.stageChildren.set(model, (byProtocol = { rest: {}, grpc: {} }));
    const byStage = byProtocol[protocol];
    const child = (byStage[stage] ??= this.stageSeconds.labels({ stage, model, protocol }));
    child.observe((performance.now() - startedAt) / 1000);
  }

  error(kind: ErrorKind): void {
    this.errors.inc({ kind });
  }

  predicted(model: string, rows: number): void {
    this.predictions.inc({ model }, rows);
  }
}
