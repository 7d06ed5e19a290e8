// Health semantics every target follows (the service's contract): liveness (`/healthz`) fails
// once the model could not load within MODEL_LOAD_TIMEOUT_MS, so a bad model makes an ECS
// deployment roll back and a pod restart; no check may count failures before that budget ends.
import { DEFAULTS as SERVICE_DEFAULTS } from "../../service/src/config";

/** How long the service retries loading the model before liveness fails (the service's default). */
export const MODEL_LOAD_TIMEOUT_SECONDS = Math.ceil(SERVICE_DEFAULTS.modelLoadTimeoutMs / 1000);

/** Start-up grace of every check: the model-load budget plus time to start the process and answer. */
export const STARTUP_GRACE_SECONDS = MODEL_LOAD_TIMEOUT_SECONDS + 30;

/** How long SIGTERM lets in-flight requests drain (the service's default). */
export const SHUTDOWN_GRACE_SECONDS = Math.ceil(SERVICE_DEFAULTS.shutdownGraceMs / 1000);
