// The per-request deadline: past it the fetch is abandoned and reported as unavailable, so a
// slow store costs a request its deadline and never more.
import { FeatureStoreUnavailableError } from "./store";

export function withDeadline<T>(work: Promise<T>, deadline: number, what: () => string): Promise<T> {
  const remaining = deadline - Date.now();
  if (remaining <= 0) {
    work.catch(() => undefined);
    return Promise.reject(new FeatureStoreUnavailableError(`${what()}: deadline passed before the request was sent`));
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new FeatureStoreUnavailableError(`${what()}: no answer within ${remaining} ms`)),
      remaining,
    );
  });
  work.catch(() => undefined); // a late failure after the deadline is not an unhandled rejection
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
