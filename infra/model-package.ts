// Where the model package a stack deploys lives, and its manifest read through the service's own
// parser, so infra and service agree on what the model needs.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseManifest, type Manifest } from "../service/src/model/manifest";

/** Repository root (infra/ is one level down). */
export const REPO_ROOT = path.resolve(__dirname, "..");

/** The model package folder a stack deploys: `models/<name>/<version>/`. */
export function modelPackageDir(modelName: string, modelVersion: string): string {
  return path.join(REPO_ROOT, "models", modelName, modelVersion);
}

/** Reads and validates the package's manifest; the error says which folder was wrong. */
export function loadManifest(packageDir: string): Manifest {
  const file = path.join(packageDir, "manifest.json");
  if (!fs.existsSync(file)) {
    throw new Error(`model package ${packageDir} has no manifest.json; build the package (models/) or fix modelName/modelVersion`);
  }
  return parseManifest(JSON.parse(fs.readFileSync(file, "utf8")));
}

/** Every file of the package folder, relative to it (the upload mirrors the folder). */
export function packageFiles(packageDir: string): string[] {
  return fs
    .readdirSync(packageDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(packageDir, path.join(e.parentPath, e.name)))
    .sort();
}
