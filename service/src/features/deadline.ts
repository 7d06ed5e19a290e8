// The per-request deadline: past it the fetch is abandoned and reported as unavailable, so a
// slow store costs a request its deadline and never more. On every prediction's path: one promise
// and one timer per call, settled straight from the work's callbacks (a race plus finally would cost
// three more promises and as many microtask turns).
import { FeatureStoreUnavailableError } from "./store";

export function withDeadline<T>(work: Promise<T>, deadline: number, what: () => string): Promise<T> {
  const remaining = deadline - Date.now();
  if (remaining <= 0) {
    work.catch(() => undefined);
    return Promise.reject(new FeatureStoreUnavailableError(`${what()}: deadline passed before the request was sent`));
  }
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new FeatureStoreUnavailableError(`${what()}: no answer within ${remaining} ms`)), remaining);
    // A late failure after the deadline settles nothing and is not an unhandled rejection.
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
