// The service image: one ECR repository, one image built from service/Dockerfile for the stack's
// architecture, run by every target (Lambda through the override below).
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import type { Architecture } from "./compute/target";
import { REPO_ROOT } from "./model-package";

/**
 * The image's default entry is the HTTP server. Lambda runs the same image through the Lambda
 * runtime interface client that the base image (public.ecr.aws/lambda/nodejs) ships: the Lambda
 * target sets these as its imageConfig. The paths are the Dockerfile's (WORKDIR /var/task).
 */
export const LAMBDA_IMAGE_ENTRY_POINT: readonly string[] = ["/lambda-entrypoint.sh"];
export const LAMBDA_IMAGE_COMMAND: readonly string[] = ["dist/lambda.handler"];

/** The Dockerfile and build context; the context is the repository root so the npm workspace lock is visible. */
export const DOCKERFILE = path.join(REPO_ROOT, "service", "Dockerfile");
export const BUILD_CONTEXT = REPO_ROOT;

/** Docker platform of an architecture. */
export function dockerPlatform(architecture: Architecture): "linux/amd64" | "linux/arm64" {
  return architecture === "arm64" ? "linux/arm64" : "linux/amd64";
}

/**
 * Keeps the newest N tagged images and expires nothing else: tags are immutable and name one
 * build each, so every task definition or Lambda version among the last N can be rolled back to.
 * Untagged manifests (the platform images and attestations of a kept image index) are never
 * expired by age, since expiring them would break the index that references them.
 */
export function lifecyclePolicy(keepImages: number): string {
  return JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: `keep the last ${keepImages} images`,
        selection: { tagStatus: "tagged", tagPatternList: ["*"], countType: "imageCountMoreThan", countNumber: keepImages },
        action: { type: "expire" },
      },
    ],
  });
}

/** The build context files the image is built from: what `.dockerignore` lets in, plus the Dockerfile. */
export function buildInputs(context: string = BUILD_CONTEXT, dockerfile: string = DOCKERFILE): string[] {
  const admitted = fs
    .readFileSync(path.join(context, ".dockerignore"), "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("!"))
    .map((line) => line.slice(1).replace(/\/$/, ""));
  const files: string[] = [path.relative(context, dockerfile)];
  const walk = (rel: string): void => {
    const abs = path.join(context, rel);
    if (!fs.existsSync(abs)) return;
    if (fs.statSync(abs).isDirectory()) {
      for (const entry of fs.readdirSync(abs).sort()) walk(path.join(rel, entry));
    } else {
      files.push(rel);
    }
  };
  for (const rel of admitted) walk(rel);
  return [...new Set(files)].sort();
}

/**
 * A tag naming the image's content: a hash of every build input and the platform. Unchanged
 * sources give the same tag (and no new push); any change gives a new, immutable one.
 */
export function contentTag(architecture: Architecture, context: string = BUILD_CONTEXT, dockerfile: string = DOCKERFILE): string {
  const hash = crypto.createHash("sha256").update(dockerPlatform(architecture));
  for (const rel of buildInputs(context, dockerfile)) {
    hash.update(`\0${rel.split(path.sep).join("/")}\0`).update(fs.readFileSync(path.join(context, rel)));
  }
  return `sha-${hash.digest("hex").slice(0, 16)}`;
}

export interface ImageRepositoryArgs {
  architecture: Architecture;
  /** How many images to keep for rollbacks. */
  keepImages?: number;
  /** Tag with this release instead of the content hash; ECR refuses to move it to other content. */
  releaseTag?: string;
  tags?: Record<string, string>;
}

export class ImageRepository extends pulumi.ComponentResource {
  readonly repositoryUrl: pulumi.Output<string>;
  readonly repositoryArn: pulumi.Output<string>;
  /** `repo@sha256:digest`: pinned, so a target redeploys only when the image changed. */
  readonly imageUri: pulumi.Output<string>;
  /** The tag the image was pushed under (content hash or release). */
  readonly imageTag: string;

  constructor(name: string, args: ImageRepositoryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-blueprint:image:ImageRepository", name, {}, opts);
    const repository = new aws.ecr.Repository(
      `${name}-repo`,
      {
        imageScanningConfiguration: { scanOnPush: true },
        // A tag names one build forever: what a rollback points at cannot be overwritten or untagged.
        imageTagMutability: "IMMUTABLE",
        encryptionConfigurations: [{ encryptionType: "AES256" }],
        forceDelete: true,
        tags: args.tags,
      },
      { parent: this },
    );
    new aws.ecr.LifecyclePolicy(
      `${name}-lifecycle`,
      { repository: repository.name, policy: lifecyclePolicy(args.keepImages ?? 10) },
      { parent: this },
    );
    const imageTag = args.releaseTag ?? contentTag(args.architecture);
    const image = new awsx.ecr.Image(
      `${name}-image`,
      {
        repositoryUrl: repository.repositoryUrl,
        context: BUILD_CONTEXT,
        dockerfile: DOCKERFILE,
        platform: dockerPlatform(args.architecture),
        imageTag,
      },
      { parent: this },
    );
    this.imageTag = imageTag;
    this.repositoryUrl = repository.repositoryUrl;
    this.repositoryArn = repository.arn;
    this.imageUri = image.imageUri;
    this.registerOutputs({ repositoryUrl: this.repositoryUrl, imageUri: this.imageUri });
  }
}
