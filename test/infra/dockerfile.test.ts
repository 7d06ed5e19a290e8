// The Dockerfile is not TypeScript, so its couplings to the service and to the Lambda target
// are checked here: the exposed port, the entries, and what the image must leave out.
import * as fs from "node:fs";
import * as path from "node:path";
import { IMAGE_NODE_OPTIONS, PORT } from "../../service/src/config";
import { DOCKERFILE, LAMBDA_IMAGE_COMMAND, LAMBDA_IMAGE_ENTRY_POINT, dockerPlatform } from "../../infra/image-repository";
import { REPO_ROOT } from "./harness";

const dockerfile = fs.readFileSync(DOCKERFILE, "utf8");
const instructions = dockerfile
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));
const stages = instructions.filter((l) => l.startsWith("FROM "));
const final = instructions.slice(instructions.lastIndexOf(stages.at(-1) as string));

test("EXPOSE is the service's PORT", () => {
  expect(final.filter((l) => l.startsWith("EXPOSE "))).toEqual([`EXPOSE ${PORT}`]);
});

test("the runtime's NODE_OPTIONS are the service's IMAGE_NODE_OPTIONS", () => {
  const env = final.filter((l) => l.startsWith("ENV ")).flatMap((l) => [...l.matchAll(/(\w+)=("[^"]*"|\S+)/g)]);
  const options = env.filter((m) => m[1] === "NODE_OPTIONS").map((m) => m[2].replace(/^"|"$/g, ""));
  expect(options).toEqual([IMAGE_NODE_OPTIONS]);
});

test("is multi-stage and the runtime runs as a non-root user", () => {
  expect(stages.length).toBeGreaterThanOrEqual(2);
  const user = final.filter((l) => l.startsWith("USER ")).at(-1);
  expect(user).toBeDefined();
  expect(user).not.toMatch(/^USER (root|0)(:|$)/);
});

test("the default entry is the HTTP server that tsc builds from service/src/server.ts", () => {
  expect(final).toContain('ENTRYPOINT ["node", "dist/server.js"]');
  expect(fs.existsSync(path.join(REPO_ROOT, "service", "src", "server.ts"))).toBe(true);
});

test("the Lambda override points at the runtime interface client and the built handler", () => {
  expect(LAMBDA_IMAGE_ENTRY_POINT).toEqual(["/lambda-entrypoint.sh"]);
  const [file, exported] = (LAMBDA_IMAGE_COMMAND[0] as string).split(".");
  expect(file).toBe("dist/lambda");
  expect(exported).toBe("handler");
  // dist/lambda.mjs, an ES module whose top-level await holds Init until the model is loaded.
  const lambdaSource = fs.readFileSync(path.join(REPO_ROOT, "service", "src", "lambda.mts"), "utf8");
  expect(lambdaSource).toMatch(/export const handler = await /);
  // The base image must carry /lambda-entrypoint.sh, i.e. be AWS's Lambda image, on the Node
  // line the project pins (.node-version), which is what the suite runs on.
  const nodeMajor = fs.readFileSync(path.join(REPO_ROOT, ".node-version"), "utf8").trim().split(".")[0];
  expect(instructions).toContain(`ARG NODE_IMAGE=public.ecr.aws/lambda/nodejs:${nodeMajor}`);
  expect(final).toContain("WORKDIR /var/task");
});

test("installs production dependencies of the service workspace only, without onnxruntime's downloads", () => {
  expect(dockerfile).toMatch(/npm ci --omit=dev -w service/);
  expect(dockerfile).toMatch(/ONNXRUNTIME_NODE_INSTALL=skip/);
  expect(dockerfile).toMatch(/COPY package\.json package-lock\.json \.npmrc/);
  expect(fs.readFileSync(path.join(REPO_ROOT, ".npmrc"), "utf8")).toMatch(/onnxruntime-node-install=skip/);
});

// A stage is "FROM [--platform=P] image AS name"; later stages may start FROM an earlier one.
const parsedStages = stages.map((line) => {
  const m = /^FROM(?:\s+--platform=(\S+))?\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
  if (!m) throw new Error(`unexpected FROM line: ${line}`);
  return { platform: m[1], image: m[2] as string, name: m[3] };
});
function runsOnBuildPlatform(stage: (typeof parsedStages)[number]): boolean {
  if (stage.platform === "$BUILDPLATFORM") return true;
  const parent = parsedStages.find((s) => s.name !== undefined && s.name === stage.image);
  return parent !== undefined && runsOnBuildPlatform(parent);
}

test("every stage that runs a command runs on the build platform; the final stage only copies", () => {
  // So an x86 runner without QEMU builds the arm64 image: nothing executes on the target platform.
  for (const stage of parsedStages.slice(0, -1)) expect({ stage: stage.name, buildPlatform: runsOnBuildPlatform(stage) }).toEqual({ stage: stage.name, buildPlatform: true });
  const last = parsedStages.at(-1)!;
  expect(last.platform).toBeUndefined();
  expect(final.filter((l) => /^RUN\b/i.test(l))).toEqual([]);
});

test("the onnxruntime-node binary kept is the target architecture's, not the build machine's", () => {
  const run = instructions.findIndex((l) => l.startsWith("RUN ") && l.includes("onnxruntime-node/bin/"));
  expect(run).toBeGreaterThan(0);
  const stageStart = run - 1 - instructions.slice(0, run).reverse().findIndex((l) => l.startsWith("FROM "));
  expect(instructions.slice(stageStart, run)).toContain("ARG TARGETARCH");
  expect(instructions[run]).toMatch(/"\$TARGETARCH"/);
  expect(instructions[run]).not.toMatch(/uname|BUILDARCH/);
});

test("the final stage copies the bundles (and the gRPC .proto) only: no tsc output, no source maps", () => {
  const sources = final.filter((l) => l.startsWith("COPY --from=build ")).flatMap((l) => l.split(/\s+/).slice(2, -1));
  expect(sources.length).toBeGreaterThan(0);
  // Named JavaScript files (or a pattern ending in js), never the dist/ directory nor a .map;
  // the one folder is the protocol definition the gRPC server loads.
  for (const source of sources) expect(source).toMatch(/\/dist\/([^/]+js|grpc\/proto)$/);
});

test("no step relies on find, curl or wget, which AWS's AL2023-minimal base lacks", () => {
  expect(instructions.filter((l) => l.startsWith("RUN ") && /(^|[\s;&|(])(find|curl|wget)\s/.test(l))).toEqual([]);
});

test("the model is not baked in: nothing from models/ reaches the build context", () => {
  const ignore = fs.readFileSync(path.join(REPO_ROOT, ".dockerignore"), "utf8").split("\n").map((l) => l.trim());
  expect(ignore).toContain("*");
  expect(ignore.filter((l) => l.startsWith("!") && l.includes("models"))).toEqual([]);
  expect(dockerfile).not.toMatch(/COPY\s+models/);
});

test("the image platform follows the architecture", () => {
  expect(dockerPlatform("arm64")).toBe("linux/arm64");
  expect(dockerPlatform("x86_64")).toBe("linux/amd64");
});
