// Loading a model package (`manifest.json` + the ONNX artifact) from a local folder or S3.
// S3 downloads are cached on local disk: the manifest is re-validated with a conditional GET
// (one cheap request), the artifact is fetched only when the cached copy's sha256 differs.
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { GetObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { modelUriProblem, type ServiceConfig } from "../config";
import { parseManifest, ManifestError, type Manifest } from "./manifest";

export interface ModelPackage {
  manifest: Manifest;
  /** The artifact's bytes, sha256-verified against the manifest. */
  artifact: Uint8Array;
  /** Where it came from, for logs and metadata. */
  uri: string;
}

/** A package that cannot be served: the message names the URI and what was wrong. */
export class ModelPackageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ModelPackageError";
  }
}

export type PackageSettings = Pick<
  ServiceConfig,
  "modelUri" | "modelCacheDir" | "awsRegion" | "s3Endpoint" | "s3ForcePathStyle"
>;

export async function loadModelPackage(settings: PackageSettings): Promise<ModelPackage> {
  const uri = settings.modelUri;
  const problem = modelUriProblem(uri);
  if (problem) throw new ModelPackageError(problem);
  const source = uri.startsWith("s3://") ? new S3Source(settings) : new FileSource(uri);
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

interface PackageSource {
  read(name: string): Promise<Uint8Array>;
  readArtifact(name: string, expectedSha256: string): Promise<Uint8Array>;
}

class FileSource implements PackageSource {
  private readonly dir: string;
  constructor(private readonly uri: string) {
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

class S3Source implements PackageSource {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly cacheDir: string;

  constructor(settings: PackageSettings) {
    const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(settings.modelUri);
    if (!match) throw new ModelPackageError(`${settings.modelUri} is not an s3://bucket/prefix/ URI`);
    this.bucket = match[1];
    this.prefix = match[2] === "" || match[2].endsWith("/") ? match[2] : `${match[2]}/`;
    this.cacheDir = path.join(settings.modelCacheDir, this.bucket, this.prefix);
    this.client = new S3Client({
      region: settings.awsRegion ?? "us-east-1",
      endpoint: settings.s3Endpoint,
      forcePathStyle: settings.s3ForcePathStyle,
    });
  }

  async read(name: string): Promise<Uint8Array> {
    // Conditional GET against the cached ETag: unchanged manifests cost one 304.
    const cached = path.join(this.cacheDir, name);
    const etagFile = `${cached}.etag`;
    const etag = await readFile(etagFile, "utf8").catch(() => undefined);
    const cachedBytes = etag === undefined ? undefined : await readFile(cached).catch(() => undefined);
    const body = await this.get(name, cachedBytes ? etag : undefined);
    if (body === "not-modified") return cachedBytes as Uint8Array;
    await this.cache(name, body.bytes);
    if (body.etag) await writeFile(etagFile, body.etag);
    return body.bytes;
  }

  async readArtifact(name: string, expectedSha256: string): Promise<Uint8Array> {
    const cached = await readFile(path.join(this.cacheDir, name)).catch(() => undefined);
    if (cached && sha256(cached) === expectedSha256) return cached;
    const body = await this.get(name, undefined);
    if (body === "not-modified") throw new ModelPackageError(`s3://${this.bucket}/${this.prefix}${name}: unexpected 304`);
    await this.cache(name, body.bytes);
    return body.bytes;
  }

  private async cache(name: string, bytes: Uint8Array): Promise<void> {
    // Write then rename, so a crash never leaves a half-written artifact that looks cached.
    const file = path.join(this.cacheDir, name);
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  }

  private async get(name: string, ifNoneMatch: string | undefined): Promise<{ bytes: Uint8Array; etag?: string } | "not-modified"> {
    const key = `${this.prefix}${name}`;
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, IfNoneMatch: ifNoneMatch }),
      );
      if (!out.Body) throw new ModelPackageError(`s3://${this.bucket}/${key}: empty response`);
      return { bytes: await out.Body.transformToByteArray(), etag: out.ETag };
    } catch (err) {
      if (err instanceof ModelPackageError) throw err;
      const status = (err as S3ServiceException).$metadata?.httpStatusCode;
      if (status === 304) return "not-modified";
      const reason = err instanceof S3ServiceException ? `${err.name} (HTTP ${status})` : (err as Error).message;
      throw new ModelPackageError(`s3://${this.bucket}/${key}: cannot download: ${reason}`, { cause: err });
    }
  }
}
