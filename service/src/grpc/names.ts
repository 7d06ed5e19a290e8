// Names the gRPC wire carries, shared with the infra (ALB rules and health checks): no imports, so
// the Pulumi program can read them without loading gRPC.

/** The OIP v2 service's full name, as in the .proto and in every call's path. */
export const INFERENCE_SERVICE_NAME = "inference.GRPCInferenceService";
/** The path every OIP v2 call has, as an ALB path pattern. */
export const INFERENCE_SERVICE_PATH_PATTERN = `/${INFERENCE_SERVICE_NAME}/*`;
/** What an ALB gRPC health check calls (grpc.health.v1, an empty request: service ""). */
export const HEALTH_CHECK_PATH = "/grpc.health.v1.Health/Check";
