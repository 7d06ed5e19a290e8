// Model packages on S3: downloads cached on local disk. The manifest is re-validated with a
// conditional GET (one cheap request); the artifact is fetched only when the cached copy's
// sha256 differs from the manifest's.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { GetObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { ModelPackageError, sha256, type PackageSettings, type PackageSource } from "./package";

export class S3Source implements PackageSource {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly cacheDir: string;

  constructor(
    settings: PackageSettings,
    private readonly signal?: AbortSignal,
  ) {
    const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(settings.modelUri);
    if (!match) throw new ModelPackageError(`${settings.modelUri} is not an s3://bucket/prefix/ URI`);
    this.bucket = match[1];
    this.prefix = match[2] === "" || match[2].endsWith("/") ? match[2] : `${match[2]}/`;
    this.cacheDir = path.join(settings.modelCacheDir, this.bucket, this.prefix);
    this.client = new S3Client({
      region: settings.awsRegion ?? "us-east-1",
      endpoint: settings.s3Endpoint,
      forcePathStyle: settings.s3ForcePathStyle,
      // An unreachable endpoint fails the attempt in seconds, so model loading can retry it
      // within MODEL_LOAD_TIMEOUT_MS instead of hanging on one connection.
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
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
        { abortSignal: this.signal },
      );
      if (!out.Body) throw new ModelPackageError(`s3://${this.bucket}/${key}: empty response`);
      return { bytes: await out.Body.transformToByteArray(), etag: out.ETag };
    } catch (err) {
      if (err instanceof ModelPackageError) throw err;
      const status = (err as S3ServiceException).$metadata?.httpStatusCode;
      if (status === 304) return "not-modified";
      const reason = err instanceof S3ServiceException ? `${err.name} (HTTP ${status})` : (err as Error).message;
      throw new ModelPackageError(`s3://${this.bucket}/${key}: cannot download: ${reason}`, { cause: err, transient: isTransient(err, status) });
    }
  }
}

/**
 * Worth another attempt: no answer at all (network, DNS, endpoint down), throttling, a server
 * fault, or 403 (IAM is eventually consistent: a grant made by the same deployment may not be
 * visible yet). A missing bucket or key, or any other 4xx, is the URI's fault.
 */
function isTransient(err: unknown, status: number | undefined): boolean {
  if (!(err instanceof S3ServiceException)) return true;
  return err.$fault === "server" || status === undefined || status === 403 || status === 429 || status >= 500;
}
