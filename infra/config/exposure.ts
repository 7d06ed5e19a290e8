// Stack config of what the stack exposes and to whom: the load balancer's scheme, HTTPS, and the
// service's API keys, which an internet-facing stack always turns on.
import type { Fields } from "./fields";

/** `internal`: only callers inside the VPC (the common case: a backend calling the model). */
export const LOAD_BALANCER_SCHEMES = ["internal", "internet-facing"] as const;
export type LoadBalancerScheme = (typeof LOAD_BALANCER_SCHEMES)[number];

export interface LoadBalancerSettings {
  scheme: LoadBalancerScheme;
}

/** What the service's API keys are named by (the JSON object's keys in the secret). */
const API_KEY_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function readLoadBalancer(f: Fields, d: LoadBalancerSettings): LoadBalancerSettings {
  const lb = f.object("loadBalancer", Object.keys(d));
  return { scheme: lb.oneOf("scheme", LOAD_BALANCER_SCHEMES, d.scheme) };
}

export function readApiKeyIds(f: Fields, d: string[]): string[] {
  const ids = f.stringList("apiKeyIds", d, API_KEY_ID, "an API key id (letters, digits, . _ -; at most 64)");
  const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (repeated.length > 0) f.problem("apiKeyIds", `${[...new Set(repeated)].join(", ")} listed more than once; each id names one key`);
  return ids;
}

/** Why the exposure is unsafe; undefined when it is not. */
export function exposureProblem(scheme: LoadBalancerScheme, certificateArn: string | undefined): string | undefined {
  if (scheme === "internet-facing" && !certificateArn) {
    return "internet-facing needs HTTPS (API keys must not cross the internet in clear): request an ACM certificate and set certificateArn, or use scheme internal";
  }
  return undefined;
}
