// The Dockerfile is not TypeScript, so its couplings to the service and to the Lambda target
// are checked here: the exposed port, the entries, and what the image must leave out.
import * as fs from "node:fs";
import * as path from "node:path";
import { PORT } from "../../service/src/config";
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
  // The base image must carry /lambda-entrypoint.sh, i.e. be AWS's Lambda image.
  expect(dockerfile).toMatch(/ARG NODE_IMAGE=public\.ecr\.aws\/lambda\/nodejs:20\b/);
  expect(final).toContain("WORKDIR /var/task");
});

test("installs production dependencies of the service workspace only, without onnxruntime's downloads", () => {
  expect(dockerfile).toMatch(/npm ci --omit=dev -w service/);
  expect(dockerfile).toMatch(/ONNXRUNTIME_NODE_INSTALL=skip/);
  expect(dockerfile).toMatch(/COPY package\.json package-lock\.json \.npmrc/);
  expect(fs.readFileSync(path.join(REPO_ROOT, ".npmrc"), "utf8")).toMatch(/onnxruntime-node-install=skip/);
  // Other platforms' binaries go: only bin/napi-v*/linux/<arch> stays.
  expect(dockerfile).toMatch(/! -name linux -exec rm -rf/);
  expect(dockerfile).toMatch(/! -name "\$ORT_ARCH" -exec rm -rf/);
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
