// The service image in ECR can be rolled back to: each build gets its own immutable tag (its
// content, or a release), and the lifecycle keeps the last N tagged images, never by age.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildInputs, contentTag, lifecyclePolicy } from "../../infra/image-repository";
import { ofType, runStack, textAt, type Registered, type StackRun } from "./harness";

/** A throwaway build context: a .dockerignore that admits src/ and package.json, and a Dockerfile. */
function context(files: Record<string, string>): { dir: string; dockerfile: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ib-context-"));
  const all: Record<string, string> = { ".dockerignore": "*\n!package.json\n!src/\n", "Dockerfile": "FROM scratch\n", ...files };
  for (const [rel, text] of Object.entries(all)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return { dir, dockerfile: path.join(dir, "Dockerfile") };
}

describe("content tag", () => {
  const base = { "package.json": "{}", "src/a.ts": "a", "src/deep/b.ts": "b", "README.md": "not in the image" };

  test("covers the Dockerfile and what .dockerignore admits, and nothing else", () => {
    const c = context(base);
    expect(buildInputs(c.dir, c.dockerfile)).toEqual(["Dockerfile", "package.json", "src/a.ts", "src/deep/b.ts"].map((p) => p.split("/").join(path.sep)));
  });

  test("is stable for the same sources and changes with any input, the Dockerfile or the platform", () => {
    const a = context(base);
    const tag = contentTag("arm64", a.dir, a.dockerfile);
    expect(tag).toMatch(/^sha-[0-9a-f]{16}$/);
    const same = context(base);
    expect(contentTag("arm64", same.dir, same.dockerfile)).toBe(tag);
    expect(contentTag("x86_64", a.dir, a.dockerfile)).not.toBe(tag);
    const src = context({ ...base, "src/deep/b.ts": "b2" });
    expect(contentTag("arm64", src.dir, src.dockerfile)).not.toBe(tag);
    const dockerfile = context({ ...base, Dockerfile: "FROM scratch\nUSER 1000\n" });
    expect(contentTag("arm64", dockerfile.dir, dockerfile.dockerfile)).not.toBe(tag);
    const outside = context({ ...base, "README.md": "changed" });
    expect(contentTag("arm64", outside.dir, outside.dockerfile)).toBe(tag);
  });
});

describe("lifecycle", () => {
  test("keeps the last N tagged images and expires nothing by age or for being untagged", () => {
    const policy = JSON.parse(lifecyclePolicy(7));
    expect(policy.rules).toEqual([
      expect.objectContaining({
        selection: { tagStatus: "tagged", tagPatternList: ["*"], countType: "imageCountMoreThan", countNumber: 7 },
        action: { type: "expire" },
      }),
    ]);
  });
});

describe("the program's repository and image", () => {
  let dev: StackRun;
  let release: StackRun;
  beforeAll(async () => {
    dev = await runStack("Pulumi.fargate.yaml", { fakeComputeTarget: true });
    release = await runStack("Pulumi.fargate.yaml", { fakeComputeTarget: true, overrides: { image: { keepImages: 25, releaseTag: "v1.4.0" } } });
  }, 180_000);
  const one = (run: StackRun, type: string): Registered => {
    const found = ofType(run.resources, type);
    expect(found).toHaveLength(1);
    return found[0] as Registered;
  };

  test("tags are immutable", () => {
    expect(one(dev, "aws:ecr/repository:Repository").inputs.imageTagMutability).toBe("IMMUTABLE");
  });
  test("the image is pushed under its content tag by default, under the release tag when one is given", () => {
    expect(one(dev, "awsx:ecr:Image").inputs.imageTag).toBe(contentTag("arm64"));
    expect(dev.outputs.imageTag).toBe(contentTag("arm64"));
    expect(one(release, "awsx:ecr:Image").inputs.imageTag).toBe("v1.4.0");
  });
  test("the lifecycle keeps the configured number of images (10 by default)", () => {
    const rules = (policy: Registered) => JSON.parse(textAt(policy.inputs, "policy")).rules;
    expect(rules(one(dev, "aws:ecr/lifecyclePolicy:LifecyclePolicy"))).toEqual(JSON.parse(lifecyclePolicy(10)).rules);
    expect(rules(one(release, "aws:ecr/lifecyclePolicy:LifecyclePolicy"))).toEqual(JSON.parse(lifecyclePolicy(25)).rules);
  });
});
