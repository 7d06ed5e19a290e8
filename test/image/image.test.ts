// service/Dockerfile built for real and run as the targets run it. Podman builds the Dockerfile
// unchanged except for its base (the NODE_IMAGE build arg): a local stand-in for AWS's Lambda Node
// image, as bare as the real one (test/image/stand-in). The container then serves HTTP the way
// ECS and EKS run it, and the Lambda override runs under AWS's Runtime Interface Emulator; every
// answer is compared with the in-process service's answer to the same request.
import * as fs from "node:fs";
import * as path from "node:path";
import type { FastifyInstance } from "fastify";
import { containerHealthCheckCommand } from "../../infra/compute/ecs-service";
import { BUILD_CONTEXT, DOCKERFILE, LAMBDA_IMAGE_COMMAND, LAMBDA_IMAGE_ENTRY_POINT } from "../../infra/image-repository";
import { buildApp } from "../../service/src/app";
import { DEFAULTS, ENV, IMAGE_NODE_OPTIONS, PORT, READY_PATH, type ServiceConfig } from "../../service/src/config";
import { createLogger } from "../../service/src/log";
import { ServiceMetrics } from "../../service/src/metrics";
import { closeServing, loadServing, type Serving } from "../../service/src/serving";
import { golden, PREDICT_PATH } from "../service/fixtures";
import { albEvent, httpApiEvent } from "../service/lambda-events";
import { Podman, runCommand } from "./podman";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const NODE_VERSION = fs.readFileSync(path.join(REPO_ROOT, ".node-version"), "utf8").trim();
const STAND_IN = `localhost/lambda-nodejs-stand-in:${NODE_VERSION.split(".")[0]}`;
const IMAGE = "localhost/inference-blueprint-service:image-test";
const IMAGE_ARM64 = "localhost/inference-blueprint-service:image-test-arm64";
/** The emulator's invoke endpoint, on its own port 8080 inside the container. */
const RIE_PORT = 8080;
const INVOKE_PATH = "/2015-03-31/functions/function/invocations";

// The example model package and its sample features, mounted read-only where the env points.
// (LOG_LEVEL stays unset: the emulator reads it too, and its info lines carry the Init and
// invoke durations.)
const MODEL_ENV: Record<string, string> = {
  [ENV.modelUri]: "file:///models/fraud/1/",
  [ENV.embeddedFeaturesPath]: "/models/fraud/features.parquet",
};
const MOUNT_AND_ENV = ["--volume", `${path.join(REPO_ROOT, "models")}:/models:ro`, ...Object.entries(MODEL_ENV).flatMap(([k, v]) => ["--env", `${k}=${v}`])];

const BUILD_TIMEOUT_MS = 15 * 60_000;
// BuildKit sets BUILDPLATFORM itself; Debian 12's buildah (1.28) leaves it empty, and an empty
// `FROM --platform=` means the target platform. This host is x86-64.
const BUILD_ARGS = ["--file", DOCKERFILE, "--build-arg", "BUILDPLATFORM=linux/amd64"];
const figures: string[] = [];

let podman: Podman;
let reference: { app: FastifyInstance; serving: Serving };

interface Answer {
  status: number;
  body: unknown;
}

/** The in-process service's answer: the same code, config and data, no image. */
async function expected(method: "GET" | "POST", url: string, payload?: string): Promise<Answer> {
  const res = await reference.app.inject({ method, url, payload, headers: payload ? { "content-type": "application/json" } : {} });
  return { status: res.statusCode, body: res.json() };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts a detached container from IMAGE with the model mounted; returns its id and its published port's URL. */
async function startContainer(containerPort: number, args: readonly string[]): Promise<{ id: string; url: string }> {
  const id = await podman.run(["run", "--detach", "--read-only", "--publish", `127.0.0.1::${containerPort}`, ...MOUNT_AND_ENV, ...args]);
  const published = await podman.run(["port", id, String(containerPort)]);
  return { id, url: `http://127.0.0.1:${published.split(":").at(-1)}` };
}

async function logsOf(id: string): Promise<string> {
  const r = await podman.exec(["logs", id]);
  return `${r.stdout}${r.stderr}`;
}

beforeAll(async () => {
  const config: ServiceConfig = { ...DEFAULTS, logLevel: "silent" };
  const metrics = new ServiceMetrics({ defaultMetrics: false });
  const serving = await loadServing(config, metrics, createLogger("silent"));
  reference = { app: await buildApp({ config, serving, metrics }), serving };

  podman = Podman.create();
  const started = Date.now();
  const standIn = await runCommand("bash", [path.join(__dirname, "stand-in", "build.sh"), STAND_IN], podman.env, BUILD_TIMEOUT_MS);
  if (standIn.code !== 0) throw new Error(`stand-in base build failed (${standIn.code}):\n${standIn.stderr.slice(-4000)}`);
  const built = Date.now();
  await podman.run(["build", "--quiet", ...BUILD_ARGS, "--build-arg", `NODE_IMAGE=${STAND_IN}`, "--tag", IMAGE, BUILD_CONTEXT], BUILD_TIMEOUT_MS);
  const size = async (image: string) => Number(await podman.run(["image", "inspect", "--format", "{{.Size}}", image]));
  const [imageBytes, baseBytes] = [await size(IMAGE), await size(STAND_IN)];
  figures.push(
    `stand-in base ${((built - started) / 1000).toFixed(1)} s, service image build ${((Date.now() - built) / 1000).toFixed(1)} s`,
    `image ${(imageBytes / 1e6).toFixed(1)} MB, of which the project's layers ${((imageBytes - baseBytes) / 1e6).toFixed(1)} MB`,
  );
}, 2 * BUILD_TIMEOUT_MS);

afterAll(async () => {
  if (figures.length > 0) console.log(`image test figures:\n  ${figures.join("\n  ")}`);
  await reference?.app.close();
  if (reference) await closeServing(reference.serving);
  await podman?.dispose();
}, 120_000);

describe("the stand-in base", () => {
  it("is as bare as AWS's Lambda Node image (no find, curl or wget) and runs the pinned Node", async () => {
    const probe = "for c in find curl wget; do command -v $c; done; node --version";
    expect(await podman.run(["run", "--rm", "--entrypoint", "sh", STAND_IN, "-c", probe])).toBe(`v${NODE_VERSION}`);
  });
});

describe("the image's contents", () => {
  const inImage = (script: string) => podman.run(["run", "--rm", "--entrypoint", "node", IMAGE, "-e", script]);

  it("holds no source maps or type declarations, and no package esbuild bundled into dist/", async () => {
    const listing = JSON.parse(
      await inImage(
        `const fs = require("fs");
         const files = fs.readdirSync("/var/task", { recursive: true }).filter((f) => /\\.(map|d\\.ts)$/.test(f));
         const modules = fs.readdirSync("/var/task/node_modules").flatMap((d) => d.startsWith("@") ? fs.readdirSync("/var/task/node_modules/" + d).map((n) => d + "/" + n) : [d]);
         console.log(JSON.stringify({ files, modules, dist: fs.readdirSync("/var/task/dist") }));`,
      ),
    ) as { files: string[]; modules: string[]; dist: string[] };
    expect(listing.files).toEqual([]);
    // Bundled into dist/ by esbuild: these must not ship twice.
    for (const bundled of ["fastify", "pino", "@sinclair/typebox", "prom-client", "hyparquet", "@fastify/aws-lambda"]) {
      expect(listing.modules).not.toContain(bundled);
    }
    // Left external by the bundle script: these must ship.
    for (const external of ["onnxruntime-node", "ioredis", "cassandra-driver", "@aws-sdk/client-s3", "protobufjs", "long"]) {
      expect(listing.modules).toContain(external);
    }
    // The bundles, and the one folder the gRPC server loads its .proto from.
    expect(listing.dist.filter((f) => !/^[\w-]+\.m?js$/.test(f))).toEqual(["grpc"]);
  });

  it("runs V8 with the image's young generation in a 256 MB container, as the small ECS and EKS tasks run", async () => {
    // Without the image's NODE_OPTIONS, V8 sizes the young generation from the container's
    // memory: 1 MB semi-spaces here (2 MB of new space once grown), 64 MB on a large host.
    const semiSpaceMb = Number(/--max-semi-space-size=(\d+)/.exec(IMAGE_NODE_OPTIONS)?.[1]);
    const grown = `const v8 = require("v8"); const keep = []; for (let i = 0; i < 3e6; i++) keep.push({ i });
       console.log(v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size / 1048576);`;
    const newSpaceMb = await podman.run(["run", "--rm", "--memory", "256m", "--entrypoint", "node", IMAGE, "-e", grown]);
    expect(Number(newSpaceMb)).toBe(2 * semiSpaceMb);
  });

  it("keeps only the target's onnxruntime binary", async () => {
    const binaries = await inImage(
      `const fs = require("fs"), bin = "/var/task/node_modules/onnxruntime-node/bin";
       console.log(fs.readdirSync(bin).flatMap((napi) => fs.readdirSync(bin + "/" + napi).flatMap((os) => fs.readdirSync(bin + "/" + napi + "/" + os).map((a) => os + "/" + a))).join(" "));`,
    );
    expect(binaries).toBe("linux/x64");
  });
});

describe("the HTTP server, as ECS and EKS run it (read-only root filesystem)", () => {
  let server: { id: string; url: string };
  const request = async (method: "GET" | "POST", url: string, payload?: string): Promise<Answer> => {
    const res = await fetch(server.url + url, { method, body: payload, headers: payload ? { "content-type": "application/json" } : {} });
    return { status: res.status, body: await res.json() };
  };

  beforeAll(async () => {
    const started = Date.now();
    server = await startContainer(PORT, [IMAGE]);
    await waitFor("the container's readiness", async () => ((await fetch(server.url + READY_PATH)).ok ? true : undefined), 60_000).catch(async (err) => {
      throw new Error(`${(err as Error).message}; its logs:\n${await logsOf(server.id)}`);
    });
    figures.push(`HTTP server ready ${Date.now() - started} ms after podman run`);
  }, 120_000);

  afterAll(async () => {
    if (server) await podman.exec(["rm", "--force", server.id]);
  });

  it("answers every golden case, one by one and as a batch, exactly as the in-process service does", async () => {
    for (const c of golden.cases) {
      const payload = JSON.stringify({ entity: c.entity, features: c.request });
      const got = await request("POST", PREDICT_PATH, payload);
      expect({ case: c.name, ...got }).toEqual({ case: c.name, ...(await expected("POST", PREDICT_PATH, payload)) });
      expect(got.status).toBe(200);
    }
    const batch = JSON.stringify({ instances: golden.cases.map((c) => ({ entity: c.entity, features: c.request })) });
    expect(await request("POST", PREDICT_PATH, batch)).toEqual(await expected("POST", PREDICT_PATH, batch));
  });

  it("answers a bad request with 400 and the error the in-process service gives", async () => {
    const bad = JSON.stringify({ entity: {}, features: { amount: "lots" } });
    const got = await request("POST", PREDICT_PATH, bad);
    expect(got.status).toBe(400);
    expect(got.body).toHaveProperty("error");
    expect(got).toEqual(await expected("POST", PREDICT_PATH, bad));
  });

  it("runs as a non-root user", async () => {
    const status = await podman.run(["exec", server.id, "node", "-e", `console.log(require("fs").readFileSync("/proc/1/status", "utf8"))`]);
    const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    expect(uid).toBeDefined();
    expect(uid).not.toBe("0");
  });

  it("passes the ECS container health check that infra/ defines", async () => {
    const [kind, ...command] = containerHealthCheckCommand();
    expect(kind).toBe("CMD");
    expect((await podman.exec(["exec", server.id, ...command])).code).toBe(0);
  });

  it("exits 0 on SIGTERM, promptly", async () => {
    const sent = Date.now();
    await podman.run(["kill", "--signal", "TERM", server.id]);
    const code = await podman.run(["wait", server.id], 30_000);
    figures.push(`SIGTERM → exit in ${Date.now() - sent} ms`);
    expect(code).toBe("0");
    expect(Date.now() - sent).toBeLessThan(10_000);
  });
});

describe("the Lambda override under the Runtime Interface Emulator", () => {
  let lambda: { id: string; url: string };
  const invoke = async (event: object): Promise<{ answer: Answer; ms: number }> => {
    const sent = performance.now();
    const res = await fetch(lambda.url + INVOKE_PATH, { method: "POST", body: JSON.stringify(event) });
    const result = (await res.json()) as { statusCode: number; body: string };
    return { answer: { status: result.statusCode, body: JSON.parse(result.body) as unknown }, ms: performance.now() - sent };
  };
  const known = golden.cases.find((c) => Object.values(c.online).some((v) => v !== null))!;
  const payload = JSON.stringify({ entity: known.entity, features: known.request });
  const alb = albEvent(payload);
  const httpApi = httpApiEvent("POST", PREDICT_PATH, payload);

  beforeAll(async () => {
    lambda = await startContainer(RIE_PORT, ["--entrypoint", JSON.stringify(LAMBDA_IMAGE_ENTRY_POINT), IMAGE, ...LAMBDA_IMAGE_COMMAND]);
  }, 60_000);

  afterAll(async () => {
    if (lambda) await podman.exec(["rm", "--force", lambda.id]);
  });

  it("answers an ALB event and an API Gateway HTTP API event as the in-process service answers the request", async () => {
    const reference = await expected("POST", PREDICT_PATH, payload);
    expect(reference.status).toBe(200);
    await waitFor("the emulator's listener", async () => (await fetch(lambda.url)).status, 30_000);
    const first = await invoke(alb);
    expect(first.answer).toEqual(reference);
    expect((await invoke(httpApi)).answer).toEqual(reference);

    const warm: number[] = [];
    for (let i = 0; i < 5; i++) warm.push((await invoke(alb)).ms);
    warm.sort((a, b) => a - b);
    // The emulator logs Init's duration and each invoke's time in the runtime, as Lambda reports them.
    const log = await logsOf(lambda.id);
    const init = /INIT REPORT\(durationMs: ([\d.]+)\)/.exec(log)?.[1];
    const invokes = [...log.matchAll(/INVOKE RTDONE\(status: success[^)]*duration: ([\d.]+)ms\)/g)].map((m) => Number(m[1]));
    expect(invokes).toHaveLength(2 + warm.length);
    const warmInRuntime = invokes.slice(2).sort((a, b) => a - b)[Math.floor(warm.length / 2)] as number;
    figures.push(
      `Lambda under the emulator: Init ${Number(init).toFixed(0)} ms; first invoke ${(invokes[0] as number).toFixed(0)} ms in the runtime ` +
        `(${first.ms.toFixed(0)} ms at the client, Init included); warm invoke median ${warmInRuntime.toFixed(1)} ms (${warm[2]?.toFixed(1)} ms at the client)`,
    );
    // dist/lambda.mjs awaits the model at top level, so Init pays the load and the first invoke
    // costs about what a warm one does (a load in the first invoke takes hundreds of ms).
    expect(invokes[0]).toBeLessThan(10 * warmInRuntime + 100);
  }, 120_000);
});

describe("the arm64 image, built on this x86-64 machine without emulation", () => {
  /** Every file under /var/task of an image, read from the mounted image (nothing runs). */
  const filesOf = async (image: string): Promise<string[]> => {
    const root = await podman.run(["image", "mount", image]);
    try {
      return (fs.readdirSync(path.join(root, "var", "task"), { recursive: true }) as string[]).sort();
    } finally {
      await podman.run(["image", "unmount", image]);
    }
  };
  let built: number;

  beforeAll(async () => {
    // The deps and build stages are the amd64 build's (cached); only the target's binary differs.
    const started = Date.now();
    const args = [...BUILD_ARGS, "--platform", "linux/arm64", "--build-arg", `NODE_IMAGE=${STAND_IN}-multiarch`, "--tag", IMAGE_ARM64];
    await podman.run(["build", "--quiet", ...args, BUILD_CONTEXT], BUILD_TIMEOUT_MS);
    built = Date.now() - started;
    figures.push(`arm64 image build ${(built / 1000).toFixed(1)} s`);
  }, BUILD_TIMEOUT_MS);

  it("is an arm64 image that differs from the amd64 one only by onnxruntime's native binary", async () => {
    expect(await podman.run(["image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", IMAGE_ARM64])).toBe("linux/arm64");
    const [arm64, amd64] = [await filesOf(IMAGE_ARM64), await filesOf(IMAGE)];
    const binaries = (files: string[]) => files.filter((f) => f.endsWith("onnxruntime_binding.node"));
    expect(binaries(arm64)).toEqual([expect.stringMatching(/^node_modules\/onnxruntime-node\/bin\/napi-v\d+\/linux\/arm64\/onnxruntime_binding\.node$/)]);
    expect(binaries(amd64)).toEqual([expect.stringMatching(/^node_modules\/onnxruntime-node\/bin\/napi-v\d+\/linux\/x64\/onnxruntime_binding\.node$/)]);
    const common = (files: string[]) => files.filter((f) => !/onnxruntime-node\/bin\/napi-v\d+\/linux\//.test(f));
    expect(common(arm64)).toEqual(common(amd64));
  });
});
