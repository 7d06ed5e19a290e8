// grpc.health.v1.Health with the HTTP checks' semantics, computed per call (not cached):
//   ""                                       readiness, what an ALB gRPC health check asks (/readyz)
//   "readiness", "inference.GRPCInferenceService"   readiness (/readyz)
//   "liveness"                               liveness (/healthz): use it for a Kubernetes livenessProbe;
//                                            a feature-store outage never fails it
// While draining, every name answers NOT_SERVING so load balancers stop sending new calls.
import type * as grpc from "@grpc/grpc-js";
import { service as healthDefinition } from "grpc-health-check";
import { notReadyReason } from "../routes/health";
import type { Serving } from "../serving";
import { INFERENCE_SERVICE_NAME } from "./names";

export { healthDefinition };

type Status = "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN";
const READINESS = ["", "readiness", INFERENCE_SERVICE_NAME];
const LIVENESS = ["liveness"];
/** How often Watch re-evaluates a status and streams it when it changed. */
const WATCH_INTERVAL_MS = 1000;

export interface HealthState {
  draining: boolean;
  /** Open Watch streams: told NOT_SERVING and ended when draining starts, so they do not hold it. */
  watchers: Set<grpc.ServerWritableStream<unknown, { status: Status }>>;
}

export function healthService(serving: Serving, state: HealthState): grpc.UntypedServiceImplementation {
  const statusOf = async (name: string): Promise<Status> => {
    if (READINESS.includes(name)) return !state.draining && (await notReadyReason(serving)) === undefined ? "SERVING" : "NOT_SERVING";
    // As /healthz: alive once the model is loaded, failed when loading gave up.
    if (LIVENESS.includes(name)) return !state.draining && serving.predictor ? "SERVING" : "NOT_SERVING";
    return "SERVICE_UNKNOWN";
  };
  const check: grpc.handleUnaryCall<{ service?: string }, { status: Status }> = (call, callback) => {
    const name = call.request.service ?? "";
    statusOf(name).then(
      (status) =>
        status === "SERVICE_UNKNOWN"
          ? callback({ code: 5, details: `unknown health service "${name}": ask "", "readiness" or "liveness"` })
          : callback(null, { status }),
      (err: Error) => callback({ code: 13, details: err.message }),
    );
  };
  const watch: grpc.handleServerStreamingCall<{ service?: string }, { status: Status }> = (call) => {
    const name = call.request.service ?? "";
    let last: Status | undefined;
    const send = () =>
      void statusOf(name).then((status) => {
        if (status !== last && !call.cancelled) call.write({ status });
        last = status;
      });
    send();
    const timer = setInterval(send, WATCH_INTERVAL_MS);
    timer.unref();
    state.watchers.add(call);
    const stop = () => {
      clearInterval(timer);
      state.watchers.delete(call);
    };
    call.on("cancelled", stop);
    call.on("finish", stop);
  };
  const list: grpc.handleUnaryCall<object, { statuses: Record<string, { status: Status }> }> = (_call, callback) => {
    Promise.all([...READINESS, ...LIVENESS].map(async (name) => [name, { status: await statusOf(name) }] as const)).then(
      (entries) => callback(null, { statuses: Object.fromEntries(entries) }),
      (err: Error) => callback({ code: 13, details: err.message }),
    );
  };
  return { check, watch, list } as grpc.UntypedServiceImplementation;
}
