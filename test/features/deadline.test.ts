// withDeadline is on every store read's path: its answers, its timer and its late failures.
import { withDeadline } from "../../service/src/features/deadline";
import { FeatureStoreUnavailableError } from "../../service/src/features/store";

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

const what = () => "redis 127.0.0.1:6379";

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

test("answers with the work's value and leaves no timer behind", async () => {
  const work = deferred<string>();
  const answer = withDeadline(work.promise, Date.now() + 100, what);
  expect(jest.getTimerCount()).toBe(1);
  work.resolve("rows");
  await expect(answer).resolves.toBe("rows");
  expect(jest.getTimerCount()).toBe(0);
});

test("passes the work's own failure through, and clears the timer", async () => {
  const work = deferred<string>();
  const answer = withDeadline(work.promise, Date.now() + 100, what);
  const failure = new Error("ECONNRESET");
  work.reject(failure);
  await expect(answer).rejects.toBe(failure);
  expect(jest.getTimerCount()).toBe(0);
});

/** Fails the work late, and expects no unhandled rejection from it. */
async function failsLateQuietly(work: ReturnType<typeof deferred<string>>): Promise<void> {
  const unhandled = jest.fn();
  process.on("unhandledRejection", unhandled);
  try {
    work.reject(new Error("late"));
    await new Promise(jest.requireActual("node:timers").setImmediate);
    expect(unhandled).not.toHaveBeenCalled();
  } finally {
    process.off("unhandledRejection", unhandled);
  }
}

test("past the deadline: unavailable, saying which store and how long it waited", async () => {
  const work = deferred<string>();
  const answer = withDeadline(work.promise, Date.now() + 80, what);
  jest.advanceTimersByTime(80);
  await expect(answer).rejects.toThrow(new FeatureStoreUnavailableError("redis 127.0.0.1:6379: no answer within 80 ms"));
  // The answer that comes too late changes nothing; a late failure is no unhandled rejection.
  await failsLateQuietly(work);
});

test("a deadline already passed: rejected before anything waits, the work's failure swallowed", async () => {
  const work = deferred<string>();
  const answer = withDeadline(work.promise, Date.now(), what);
  await expect(answer).rejects.toThrow("redis 127.0.0.1:6379: deadline passed before the request was sent");
  expect(jest.getTimerCount()).toBe(0);
  await failsLateQuietly(work);
});
