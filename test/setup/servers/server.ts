// A real server a test run needs, started on a free loopback port and stopped afterwards.
export interface TestServer {
  readonly name: string;
  /** Environment for the test files, e.g. { TEST_REDIS_PORT: "41234" }. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}
