// Loading a model package (`manifest.json` + the ONNX artifact) from a local folder or S3.
// S3 downloads are cached on local disk: the manifest is re-validated with a conditional GET
// (one cheap request), the artifact is fetched only when the cached copy's sha256 differs.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { modelUriProblem, type ServiceConfig } from "../config";
import { parseManifest, ManifestError, type Manifest } from "./manifest";

export interface ModelPackage {
  manifest: Manifest;
  /** The artifact's bytes, sha256-verified against the manifest. */
  artifact: Uint8Array;
  /** Where it came from, for logs and metadata. */
  uri: string;
}

/**
 * A package that cannot be served: the message names the URI and what was wrong. `transient`
 * when trying again may help (storage unreachable, throttled, an IAM grant not yet propagated);
 * a package that is wrong in itself (URI, manifest, sha256) is not.
 */
export class ModelPackageError extends Error {
  readonly transient: boolean;
  constructor(message: string, options?: { cause?: unknown; transient?: boolean }) {
    super(message, options);
    this.name = "ModelPackageError";
    this.transient = options?.transient ?? false;
  }
}

export type PackageSettings = Pick<
  ServiceConfig,
  "modelUri" | "modelCacheDir" | "awsRegion" | "s3Endpoint" | "s3ForcePathStyle"
>;

/** `signal` ends the download where it stands (model loading's deadline): an S3 request is not left to its own timeouts. */
export async function loadModelPackage(settings: PackageSettings, signal?: AbortSignal): Promise<ModelPackage> {
  const uri = settings.modelUri;
  const problem = modelUriProblem(uri);
  if (problem) throw new ModelPackageError(problem);
  // The AWS SDK is loaded only for s3:// packages (it costs ~20 MB of RSS).
  const source: PackageSource = uri.startsWith("s3://")
    ? new (await import("./s3-source")).S3Source(settings, signal)
    : new FileSource(uri);
  const manifest = parseManifestBytes(uri, await source.read("manifest.json"));
  const artifact = await source.readArtifact(manifest.artifact.path, manifest.artifact.sha256);
  const actual = sha256(artifact);
  if (actual !== manifest.artifact.sha256) {
    throw new ModelPackageError(
      `${uri}${manifest.artifact.path}: sha256 is ${actual} but the manifest expects ${manifest.artifact.sha256}`,
    );
  }
  return { manifest, artifact, uri };
}

function parseManifestBytes(uri: string, bytes: Uint8Array): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (err) {
    throw new ModelPackageError(`${uri}manifest.json is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return parseManifest(json);
  } catch (err) {
    if (err instanceof ManifestError) throw new ModelPackageError(`${uri}manifest.json: ${err.message}`);
    throw err;
  }
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export interface PackageSource {
  read(name: string): Promise<Uint8Array>;
  readArtifact(name: string, expectedSha256: string): Promise<Uint8Array>;
}

class FileSource implements PackageSource {
  private readonly dir: string;
  constructor(uri: string) {
    this.dir = fileURLToPath(uri.endsWith("/") ? uri : `${uri}/`);
  }
  async read(name: string): Promise<Uint8Array> {
    const file = path.join(this.dir, name);
    try {
      return await readFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ModelPackageError(`${file}: cannot read (${code ?? (err as Error).message})`);
    }
  }
  readArtifact(name: string): Promise<Uint8Array> {
    return this.read(name);
  }
}
