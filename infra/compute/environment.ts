// The service's environment (built by `toEnvironment` in the service's config module) in the
// shapes each runtime takes. Values are passed through untouched: the contract is the keys.
import * as pulumi from "@pulumi/pulumi";

export interface EnvironmentVariable {
  name: string;
  value: string;
}

/** Sorted name/value pairs (ECS container definitions, Kubernetes containers); sorted so diffs stay quiet. */
export function environmentEntries(
  environment: pulumi.Input<Record<string, pulumi.Input<string>>>,
): pulumi.Output<EnvironmentVariable[]> {
  return pulumi.output(environment).apply((env) =>
    Object.keys(env)
      .sort()
      .map((name) => ({ name, value: env[name] })),
  );
}

/**
 * Variables the Lambda runtime sets itself and refuses in a function's configuration
 * ("Reserved keys used in this request"). The runtime provides AWS_REGION, which the service reads.
 */
export const LAMBDA_RESERVED_VARIABLES = [
  "_HANDLER",
  "_X_AMZN_TRACE_ID",
  "AWS_ACCESS_KEY",
  "AWS_ACCESS_KEY_ID",
  "AWS_DEFAULT_REGION",
  "AWS_EXECUTION_ENV",
  "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
  "AWS_LAMBDA_FUNCTION_NAME",
  "AWS_LAMBDA_FUNCTION_VERSION",
  "AWS_LAMBDA_INITIALIZATION_TYPE",
  "AWS_LAMBDA_LOG_GROUP_NAME",
  "AWS_LAMBDA_LOG_STREAM_NAME",
  "AWS_LAMBDA_RUNTIME_API",
  "AWS_REGION",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "LAMBDA_RUNTIME_DIR",
  "LAMBDA_TASK_ROOT",
] as const;

/** The environment minus the keys Lambda reserves (and fills in itself). */
export function lambdaEnvironment(
  environment: pulumi.Input<Record<string, pulumi.Input<string>>>,
): pulumi.Output<Record<string, string>> {
  const reserved = new Set<string>(LAMBDA_RESERVED_VARIABLES);
  return pulumi
    .output(environment)
    .apply((env) => Object.fromEntries(Object.entries(env).filter(([name]) => !reserved.has(name))));
}
