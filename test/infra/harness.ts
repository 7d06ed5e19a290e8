// Runs the whole Pulumi program (infra/index.ts) under mocks for one stack file of stacks/, in a
// fresh module registry and a fresh Pulumi runtime, and returns what it registered.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type * as pulumiType from "@pulumi/pulumi";
import { createMocks, type MockRecord, type Registered } from "./mocks";

export { at, listAt, textAt, type Registered } from "./mocks";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const STACKS_DIR = path.join(REPO_ROOT, "stacks");
export const PROJECT = "inference-blueprint";
/** Stands in for models/<name>/<version>/ while the real package is absent. */
export const FIXTURE_MODELS_DIR = path.join(__dirname, "fixtures", "models");

const INFRA = path.join(REPO_ROOT, "infra");

/** Every stack file, e.g. `Pulumi.fargate.yaml`. */
export function stackFiles(): string[] {
  return fs.readdirSync(STACKS_DIR).filter((f) => /^Pulumi\.[^.]+\.ya?ml$/.test(f)).sort();
}

/** The stack name of a stack file: `Pulumi.fargate-prod.yaml` → `fargate-prod`. */
export function stackName(stackFile: string): string {
  const match = /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(stackFile));
  if (!match) throw new Error(`${stackFile} is not a Pulumi.<stack>.yaml file`);
  return match[1] as string;
}

/** The stack file's `config:` map, keys fully qualified (`inference-blueprint:computeTarget`, `aws:region`). */
export function readStackConfig(stackFile: string): Record<string, unknown> {
  const doc = parse(fs.readFileSync(path.join(STACKS_DIR, stackFile), "utf8")) as { config?: Record<string, unknown> } | null;
  return doc?.config ?? {};
}

/** The project namespace of a stack file without the prefix: what `validateConfig` takes. */
export function readProjectConfig(stackFile: string): Record<string, unknown> {
  const prefix = `${PROJECT}:`;
  return Object.fromEntries(
    Object.entries(readStackConfig(stackFile))
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, v]) => [k.slice(prefix.length), v]),
  );
}

export interface RunOptions {
  /** Run as this stack name instead of the file's (e.g. to test names AWS would refuse). */
  stack?: string;
  /** Replace (not merge) project keys, e.g. `{ certificateArn: "arn:…" }`; `undefined` removes a key. */
  overrides?: Record<string, unknown>;
  /**
   * Where `models/` is read from. Default: the repository's models/ when the stack's package is
   * there, else the fixture package in test/infra/fixtures/models.
   */
  modelsDir?: string;
  /**
   * Replace `infra/compute` with a fake ComponentResource that records the ComputeTargetArgs it
   * receives, for testing the platform alone (the real targets are tested in test/infra/compute).
   */
  fakeComputeTarget?: boolean;
}

export interface StackRun {
  stack: string;
  resources: Registered[];
  /** The program's stack outputs, resolved. */
  outputs: Record<string, unknown>;
  /** What the program passed to createComputeTarget (only with fakeComputeTarget). */
  computeTarget?: { kind: string; name: string; args: Record<string, unknown>; sizing: unknown };
  invokes: MockRecord["invokes"];
  unknownInvokes: string[];
  modelsDir: string;
}

/** Config values reach a program as strings; objects, lists, numbers and booleans as JSON. */
function toConfigString(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** An output's value; a failed output rejects (an `apply` callback would never run, and the test would hang). */
async function resolve(pulumi: typeof pulumiType, value: unknown): Promise<unknown> {
  if (!pulumi.Output.isInstance(value)) return value;
  // `promise()` is the Output's own (internal) settle-or-fail; fall back to apply if it ever goes.
  const settle = (value as unknown as { promise?: () => Promise<unknown> }).promise;
  if (typeof settle === "function") return settle.call(value);
  return new Promise((done) => (value as pulumiType.Output<unknown>).apply((v) => done(v)));
}

/** Runs infra/index.ts for `stacks/<stackFile>` under mocks and returns everything it registered. */
export async function runStack(stackFile: string, options: RunOptions = {}): Promise<StackRun> {
  const stack = options.stack ?? stackName(stackFile);
  const config = readStackConfig(stackFile);
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value === undefined) delete config[`${PROJECT}:${key}`];
    else config[`${PROJECT}:${key}`] = value;
  }
  const project = readProjectConfig(stackFile);
  const modelName = String(options.overrides?.modelName ?? project.modelName ?? "fraud");
  const modelVersion = String(options.overrides?.modelVersion ?? project.modelVersion ?? "1");
  const realModels = path.join(REPO_ROOT, "models");
  const modelsDir =
    options.modelsDir ??
    (fs.existsSync(path.join(realModels, modelName, modelVersion, "manifest.json")) ? realModels : FIXTURE_MODELS_DIR);

  const record: MockRecord = { resources: [], invokes: [], unknownInvokes: [] };
  let program: Record<string, unknown> = {};
  let pulumi!: typeof pulumiType;
  let computeTarget: StackRun["computeTarget"];

  // Pulumi keeps its runtime state on the global object; a fresh store makes each run independent.
  delete (globalThis as { globalStore?: unknown }).globalStore;
  jest.isolateModules(() => {
    pulumi = require("@pulumi/pulumi") as typeof pulumiType;
    const values = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, toConfigString(v)]));
    pulumi.runtime.setAllConfig(values, []);
    void pulumi.runtime.setMocks(createMocks(record), PROJECT, stack, false);

    if (modelsDir !== realModels) {
      const actual = jest.requireActual<typeof import("../../infra/model-package")>(path.join(INFRA, "model-package"));
      jest.doMock(path.join(INFRA, "model-package"), () => ({
        ...actual,
        modelPackageDir: (name: string, version: string) => path.join(modelsDir, name, version),
      }));
    }
    if (options.fakeComputeTarget) {
      jest.doMock(path.join(INFRA, "compute"), () => {
        const p = require("@pulumi/pulumi") as typeof pulumiType;
        class FakeComputeTarget extends p.ComponentResource {
          readonly targetGroupArn = p.output(`arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/fake`);
          readonly apiEndpoint = undefined;
          constructor(readonly kind: string, name: string, opts?: pulumiType.ComponentResourceOptions) {
            super("test:compute:FakeComputeTarget", name, {}, opts);
          }
        }
        return {
          createComputeTarget: (kind: string, name: string, args: Record<string, unknown>, sizing: unknown, opts?: pulumiType.ComponentResourceOptions) => {
            computeTarget = { kind, name, args, sizing };
            return new FakeComputeTarget(kind, name, opts);
          },
        };
      });
    }
    program = require(path.join(INFRA, "index")) as Record<string, unknown>;
  });

  const outputs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(program)) outputs[key] = await resolve(pulumi, value);
  if (computeTarget) {
    const args: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(computeTarget.args)) args[key] = await resolve(pulumi, value);
    computeTarget = { ...computeTarget, args };
  }
  // Every registration still in flight (children of components, resources no output depends on).
  await pulumi.runtime.disconnect();
  return {
    stack,
    resources: record.resources,
    outputs,
    computeTarget,
    invokes: record.invokes,
    unknownInvokes: record.unknownInvokes,
    modelsDir,
  };
}

/** Runs the program for `stacks/<stackFile>` and returns every registered resource. */
export async function runProgram(stackFile: string, options: RunOptions = {}): Promise<Registered[]> {
  return (await runStack(stackFile, options)).resources;
}

/** Registered resources of one type token, e.g. `aws:lb/listener:Listener`. */
export function ofType(resources: Registered[], type: string): Registered[] {
  return resources.filter((r) => r.type === type);
}
