// The service image: one ECR repository, one image built from service/Dockerfile for the stack's
// architecture, run by every target (Lambda through the override below).
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

/** Keep the last N images; untagged layers from rebuilt tags go after a day. */
export function lifecyclePolicy(keepImages: number): string {
  return JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: "expire untagged images after 1 day",
        selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 1 },
        action: { type: "expire" },
      },
      {
        rulePriority: 2,
        description: `keep the last ${keepImages} images`,
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keepImages },
        action: { type: "expire" },
      },
    ],
  });
}

export interface ImageRepositoryArgs {
  architecture: Architecture;
  /** How many images to keep for rollbacks. */
  keepImages?: number;
  tags?: Record<string, string>;
}

export class ImageRepository extends pulumi.ComponentResource {
  readonly repositoryUrl: pulumi.Output<string>;
  readonly repositoryArn: pulumi.Output<string>;
  /** `repo@sha256:digest`: pinned, so a target redeploys only when the image changed. */
  readonly imageUri: pulumi.Output<string>;

  constructor(name: string, args: ImageRepositoryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-blueprint:image:ImageRepository", name, {}, opts);
    const repository = new aws.ecr.Repository(
      `${name}-repo`,
      {
        imageScanningConfiguration: { scanOnPush: true },
        // Targets run digests (imageUri), so a moved tag never changes what runs.
        imageTagMutability: "MUTABLE",
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
    const image = new awsx.ecr.Image(
      `${name}-image`,
      {
        repositoryUrl: repository.repositoryUrl,
        context: BUILD_CONTEXT,
        dockerfile: DOCKERFILE,
        platform: dockerPlatform(args.architecture),
      },
      { parent: this },
    );
    this.repositoryUrl = repository.repositoryUrl;
    this.repositoryArn = repository.arn;
    this.imageUri = image.imageUri;
    this.registerOutputs({ repositoryUrl: this.repositoryUrl, imageUri: this.imageUri });
  }
}
