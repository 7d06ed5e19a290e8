// One onnxruntime session per process, created once, fed with typed arrays. Rows from
// concurrent requests are micro-batched: rows queued in the same event-loop turn (e.g. the
// requests whose Redis replies came in one read) go in one run, started once the turn's
// I/O callbacks are done (setImmediate, where onnxruntime-node runs a session anyway), and
// while a run is in flight new rows queue for the next one. Batching adds no timer wait.
import * as ort from "onnxruntime-node";
import type { Manifest } from "./manifest";

export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array;

export interface ModelOutputs {
  /** Output name → tensor, as the model returned it. */
  [name: string]: { dims: readonly number[]; data: TensorData };
}

export interface SessionOptions {
  /** Most rows one run takes. */
  batchMaxSize: number;
  /** Extra wait for company before a run starts when idle, in microseconds (0 = none). */
  batchWindowUs: number;
}

interface Pending {
  rows: Float32Array;
  count: number;
  /** Wants every output (Open Inference Protocol), not only the probabilities. */
  allOutputs: boolean;
  /** Called with the batch's outputs and where this caller's rows start in them. */
  resolve: (outputs: ModelOutputs, firstRow: number) => void;
  reject: (err: unknown) => void;
}

export class ModelSession {
  /** Model runs and the rows they took, through the micro-batcher. */
  readonly batching = { runs: 0, rows: 0 };
  private queue: Pending[] = [];
  private queuedRows = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly manifest: Manifest,
    private readonly width: number,
    private readonly options: SessionOptions,
  ) {}

  static async create(artifact: Uint8Array, manifest: Manifest, width: number, options: SessionOptions): Promise<ModelSession> {
    const session = await ort.InferenceSession.create(artifact, {
      // Small tabular models: one thread per run beats the thread-pool hand-off.
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
    });
    const missing = [manifest.input.name, ...manifest.outputs.map((o) => o.name)].filter(
      (n) => !session.inputNames.includes(n) && !session.outputNames.includes(n),
    );
    if (missing.length > 0) {
      await session.release();
      throw new Error(
        `model.onnx has no tensor named ${missing.map((m) => `"${m}"`).join(", ")}; ` +
          `it has inputs ${session.inputNames.join(", ")} and outputs ${session.outputNames.join(", ")}`,
      );
    }
    return new ModelSession(session, manifest, width, options);
  }

  /** Class probabilities for `count` encoded rows, through the micro-batcher. */
  predict(rows: Float32Array, count: number): Promise<Float32Array> {
    const classes = this.manifest.postprocess.labels.length;
    const name = this.manifest.postprocess.probabilities;
    return this.enqueue(rows, count, false, (outputs, first) => (outputs[name].data as Float32Array).subarray(first * classes, (first + count) * classes));
  }

  /**
   * Every output for `count` encoded rows (the model's own input tensor, as the Open Inference
   * Protocol sends it), through the micro-batcher: each output is cut back to this caller's rows.
   */
  infer(rows: Float32Array, count: number): Promise<ModelOutputs> {
    return this.enqueue(rows, count, true, (outputs, first) => {
      const own: ModelOutputs = {};
      for (const [name, { dims, data }] of Object.entries(outputs)) {
        const perRow = data.length / dims[0];
        own[name] = { dims: [count, ...dims.slice(1)], data: data.subarray(first * perRow, (first + count) * perRow) };
      }
      return own;
    });
  }

  private enqueue<T>(rows: Float32Array, count: number, allOutputs: boolean, take: (outputs: ModelOutputs, firstRow: number) => T): Promise<T> {
    return new Promise((resolve, reject) => {
      this.queue.push({ rows, count, allOutputs, resolve: (outputs, first) => resolve(take(outputs, first)), reject });
      this.queuedRows += count;
      this.schedule();
    });
  }

  /** Runs raw tensors as given (Open Inference Protocol), outside the batcher. */
  async run(feeds: Record<string, ort.Tensor>): Promise<ModelOutputs> {
    const out = await this.session.run(feeds);
    const result: ModelOutputs = {};
    for (const [name, tensor] of Object.entries(out)) {
      result[name] = { dims: tensor.dims, data: tensor.data as TensorData };
    }
    return result;
  }

  release(): Promise<void> {
    return this.session.release();
  }

  private schedule(): void {
    if (this.running || this.timer || this.immediate) return;
    if (this.options.batchWindowUs > 0 && this.queuedRows < this.options.batchMaxSize) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.drain();
      }, this.options.batchWindowUs / 1000);
      return;
    }
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
      const batch = this.take();
      await this.runBatch(batch);
    }
    this.running = false;
  }

  private take(): Pending[] {
    const batch: Pending[] = [];
    let rows = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0];
      if (batch.length > 0 && rows + next.count > this.options.batchMaxSize) break;
      batch.push(next);
      rows += next.count;
      this.queue.shift();
    }
    this.queuedRows -= rows;
    return batch;
  }

  private async runBatch(batch: Pending[]): Promise<void> {
    const total = batch.reduce((n, p) => n + p.count, 0);
    this.batching.runs += 1;
    this.batching.rows += total;
    let input: Float32Array;
    if (batch.length === 1) {
      input = batch[0].rows.subarray(0, total * this.width);
    } else {
      input = new Float32Array(total * this.width);
      let at = 0;
      for (const p of batch) {
        input.set(p.rows.subarray(0, p.count * this.width), at);
        at += p.count * this.width;
      }
    }
    try {
      const feeds = { [this.manifest.input.name]: new ort.Tensor("float32", input, [total, this.width]) };
      // Only the probabilities unless a caller wants every output: fewer outputs, less to copy.
      const out = batch.some((p) => p.allOutputs)
        ? await this.session.run(feeds)
        : await this.session.run(feeds, [this.manifest.postprocess.probabilities]);
      const outputs: ModelOutputs = {};
      for (const [name, tensor] of Object.entries(out)) {
        // A batched output has one leading entry per row; one that does not cannot be shared out.
        if (tensor.dims[0] !== total && batch.length > 1) throw new Error(`output "${name}" has dims [${tensor.dims.join(",")}], not one row per input row`);
        outputs[name] = { dims: tensor.dims, data: tensor.data as TensorData };
      }
      let row = 0;
      for (const p of batch) {
        p.resolve(outputs, row);
        row += p.count;
      }
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
