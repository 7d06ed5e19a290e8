// Pulumi.yaml declares every key infra/config.ts reads, with the same defaults, so `pulumi up`
// (which applies Pulumi.yaml's defaults) and validateConfig (which applies its own) agree.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { CONFIG_KEYS, DEFAULTS, validateConfig } from "../../infra/config";
import { REPO_ROOT } from "./harness";

interface Declaration {
  type?: string;
  default?: unknown;
  description?: string;
}
const project = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as {
  name: string;
  main: string;
  stackConfigDir: string;
  runtime: { name: string; options: { typescript: boolean } };
  config: Record<string, Declaration>;
};

test("the project runs infra/ with TypeScript and reads stacks/", () => {
  expect(project).toMatchObject({ name: "inference-blueprint", main: "infra/", stackConfigDir: "stacks", runtime: { name: "nodejs", options: { typescript: true } } });
});

test("every config key is declared, and nothing else", () => {
  expect(Object.keys(project.config).sort()).toEqual([...CONFIG_KEYS].sort());
});

test.each(Object.entries(project.config))("%s has a description, a default and a type (objects: by their default)", (key, d) => {
  expect(d.description).toEqual(expect.any(String));
  expect(d.default).toBeDefined();
  const isObject = typeof d.default === "object" && d.default !== null;
  expect(isObject ? d.type : d.type).toBe(isObject ? undefined : ({ string: "string", number: "integer", boolean: "boolean" } as Record<string, string>)[typeof d.default]);
  void key;
});

test("the defaults are the validator's defaults", () => {
  const fromYaml = Object.fromEntries(Object.entries(project.config).map(([k, d]) => [k, d.default]));
  expect(validateConfig(fromYaml)).toEqual(validateConfig({}));
  for (const [key, value] of Object.entries(DEFAULTS)) {
    if (value !== undefined) expect([key, fromYaml[key]]).toEqual([key, value]);
  }
});
