// The slice of a logger the stores use; Fastify's (pino) logger fits it as is.
export interface StoreLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

/** One JSON line on stderr, for stores created outside a Fastify app (the materializer, tests). */
export const stderrLogger: StoreLogger = {
  warn(details, message) {
    process.stderr.write(`${JSON.stringify({ level: "warn", time: Date.now(), ...details, msg: message })}\n`);
  },
};
