// Offline features from s3:// (the S3-compatible test server): the embedded store and the
// materializer read the same bytes as from a local path.
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DEFAULTS, EXAMPLE_MODEL_DIR } from "../../service/src/config";
import { EmbeddedStore } from "../../service/src/features/embedded";
import { parseManifest } from "../../service/src/model/manifest";

const endpoint = process.env.TEST_S3_ENDPOINT;
process.env.AWS_ACCESS_KEY_ID ??= "test";
process.env.AWS_SECRET_ACCESS_KEY ??= "test";

describe("offline features from s3://", () => {
  if (!endpoint) throw new Error("TEST_S3_ENDPOINT is not set: the jest global setup starts the S3 test server");
  const s3 = { region: "us-east-1", endpoint, forcePathStyle: true };
  const bucket = `offline-${Date.now()}`;
  const manifest = parseManifest(JSON.parse(readFileSync(path.join(EXAMPLE_MODEL_DIR, "manifest.json"), "utf8")));

  beforeAll(async () => {
    const client = new S3Client(s3);
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: "fraud/features.parquet", Body: await readFile(DEFAULTS.embeddedFeaturesPath) }));
    client.destroy();
  });

  it("loads the same entities and values as the local file", async () => {
    const local = await EmbeddedStore.fromParquet(DEFAULTS.embeddedFeaturesPath, manifest);
    const remote = await EmbeddedStore.fromParquet(`s3://${bucket}/fraud/features.parquet`, manifest, { s3 });
    expect(remote.entityCount("user_stats")).toBe(2000);
    expect(remote.entityCount("user_stats")).toBe(local.entityCount("user_stats"));
    const refs = manifest.features.flatMap((f) => (f.source.kind === "online" ? [{ view: f.source.view, feature: f.source.feature, dtype: f.dtype }] : []));
    const query = { entityKeyTypes: { user_id: "int64" as const }, entities: [{ user_id: 102 }, { user_id: 1415 }], refs };
    expect(await remote.get(query)).toEqual(await local.get(query));
  });

  it("names the object when it does not exist", async () => {
    await expect(EmbeddedStore.fromParquet(`s3://${bucket}/missing.parquet`, manifest, { s3 })).rejects.toThrow(
      new RegExp(`offline features "s3://${bucket}/missing.parquet" cannot be read: .*(NoSuchKey|does not exist)`),
    );
  });
});
