// The model bucket: private, encrypted, versioned (a bad model can be rolled back by version id),
// reachable only over TLS; the model package is uploaded under models/<name>/<version>/.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { packageFiles } from "./model-package";

export interface ModelArtifactsArgs {
  /** The local package folder (models/<name>/<version>/) to upload. */
  packageDir: string;
  modelName: string;
  modelVersion: string;
  /** Let `pulumi destroy` empty the bucket, objects uploaded outside Pulumi included (dev stacks). */
  forceDestroy?: boolean;
  /** How long replaced model versions are kept before S3 deletes them. */
  noncurrentVersionDays?: number;
  tags?: Record<string, string>;
}

/** The object prefix of one model version; `MODEL_URI` and the IAM policy both derive from it. */
export function modelPrefix(modelName: string, modelVersion: string): string {
  return `models/${modelName}/${modelVersion}/`;
}

/** A bucket policy refusing every request that does not use TLS. */
export function tlsOnlyPolicy(bucketArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  });
}

export class ModelArtifacts extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  readonly bucketArn: pulumi.Output<string>;
  /** The version folder's prefix inside the bucket. */
  readonly prefix: string;
  /** `s3://bucket/models/<name>/<version>/`, the service's MODEL_URI. */
  readonly modelUri: pulumi.Output<string>;

  constructor(name: string, args: ModelArtifactsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-blueprint:artifacts:ModelArtifacts", name, {}, opts);
    const parent = { parent: this };
    const bucket = new aws.s3.Bucket(`${name}-bucket`, { forceDestroy: args.forceDestroy ?? false, tags: args.tags }, parent);
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      parent,
    );
    new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, parent);
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-sse`,
      {
        bucket: bucket.id,
        // S3-managed keys: encrypted at rest with no KMS request cost on every model download.
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
      },
      parent,
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket: bucket.id,
        rules: [
          {
            id: "expire-noncurrent-versions",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: args.noncurrentVersionDays ?? 90 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
        ],
      },
      parent,
    );
    // After the public access block, so the policy is never briefly evaluated without it.
    new aws.s3.BucketPolicy(
      `${name}-tls-only`,
      { bucket: bucket.id, policy: bucket.arn.apply(tlsOnlyPolicy) },
      { parent: this, dependsOn: [publicAccess] },
    );

    this.prefix = modelPrefix(args.modelName, args.modelVersion);
    const objects = packageFiles(args.packageDir).map(
      (file) =>
        new aws.s3.BucketObjectv2(
          `${name}-${file.replace(/[^A-Za-z0-9._-]/g, "-")}`,
          {
            bucket: bucket.id,
            key: `${this.prefix}${file.split(path.sep).join("/")}`,
            source: new pulumi.asset.FileAsset(path.join(args.packageDir, file)),
            serverSideEncryption: "AES256",
          },
          parent,
        ),
    );
    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    // The URI resolves only once every file is in place, so no target starts on a partial package.
    this.modelUri = pulumi
      .all([bucket.bucket, ...objects.map((o) => o.key)])
      .apply(([b]) => `s3://${b}/${this.prefix}`);
    this.registerOutputs({ bucketName: this.bucketName, modelUri: this.modelUri });
  }
}
