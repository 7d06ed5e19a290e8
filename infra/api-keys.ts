// The service's API keys for a stack reachable from the internet: generated here, kept in one
// Secrets Manager secret (the service re-reads it, so keys can be rotated there), and referenced
// by ARN in the service's environment, never inlined.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as random from "@pulumi/random";

/** Long enough to resist guessing; alphanumeric, so it travels in headers untouched. */
export const API_KEY_LENGTH = 48;

export interface ApiKeysArgs {
  /** One generated key per id; the secret maps id → key. */
  keyIds: string[];
  tags?: Record<string, string>;
}

export class ApiKeys extends pulumi.ComponentResource {
  /** What the service reads (API_KEYS_SECRET_ARN) and every runtime role may GetSecretValue on. */
  readonly secretArn: pulumi.Output<string>;

  constructor(name: string, args: ApiKeysArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-blueprint:auth:ApiKeys", name, {}, opts);
    if (args.keyIds.length === 0) throw new Error(`ApiKeys ${name}: keyIds is empty; at least one key is needed`);
    const parent = { parent: this };
    const keys = args.keyIds.map(
      (id) => [id, new random.RandomPassword(`${name}-api-key-${id}`, { length: API_KEY_LENGTH, special: false }, parent).result] as const,
    );
    const secret = new aws.secretsmanager.Secret(
      `${name}-api-keys`,
      { description: "API keys of the inference service: JSON object key id to key", tags: args.tags },
      parent,
    );
    new aws.secretsmanager.SecretVersion(
      `${name}-api-keys`,
      {
        secretId: secret.id,
        secretString: pulumi.secret(pulumi.all(keys.map(([, key]) => key)).apply((values) => JSON.stringify(Object.fromEntries(keys.map(([id], i) => [id, values[i]]))))),
      },
      parent,
    );
    this.secretArn = secret.arn;
    this.registerOutputs({ secretArn: this.secretArn });
  }
}
