// Request bodies are JSON, app-wide: `application/json`, and a body sent with no content type at
// all (curl -d, many HTTP clients' defaults). Any other content type is a 415. Every failure is
// an HttpError, so it leaves in the service's `{ error }` shape and names what was wrong.
import type { FastifyInstance, FastifyRequest } from "fastify";
import secureJson from "secure-json-parse";
import { HttpError } from "./errors";

/** Parses a JSON body, refusing the keys that would rewrite object prototypes. */
export function parseJsonBody(text: string): unknown {
  if (text.trim().length === 0) throw new HttpError(400, "bad_request", "request body is empty: expected a JSON object");
  try {
    return secureJson.parse(text, undefined, { protoAction: "error", constructorAction: "error" });
  } catch (err) {
    if (err instanceof SyntaxError && /forbidden prototype/.test(err.message)) {
      const key = /"__proto__"\s*:/.test(text) ? '"__proto__"' : '"constructor" holding "prototype"';
      throw new HttpError(400, "bad_request", `invalid JSON body: the key ${key} is not accepted anywhere in a body; remove or rename it`);
    }
    throw new HttpError(400, "bad_request", `invalid JSON body: ${(err as Error).message}`);
  }
}

/** Installs the JSON parsers and the check that a route expecting a body got one. */
export function installJsonBody(app: FastifyInstance): void {
  app.removeContentTypeParser(["application/json", "text/plain"]);
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req: FastifyRequest, body: string, done) => {
    try {
      done(null, parseJsonBody(body));
    } catch (err) {
      done(err as HttpError, undefined);
    }
  });
  // The catch-all parser: no content type means JSON; any other type is refused.
  app.addContentTypeParser("*", { parseAs: "string" }, (req: FastifyRequest, body: string, done) => {
    const type = req.headers["content-type"];
    try {
      if (type !== undefined) {
        throw new HttpError(415, "bad_request", `unsupported content-type "${type.slice(0, 100)}": expected application/json`);
      }
      done(null, parseJsonBody(body));
    } catch (err) {
      done(err as HttpError, undefined);
    }
  });
  // Fastify skips parsing (and schema validation) when a request has neither body nor content type.
  app.addHook("preValidation", async (request) => {
    if (request.body === undefined && request.routeOptions.schema?.body !== undefined) {
      throw new HttpError(400, "bad_request", "request body is missing: expected a JSON object (content-type: application/json)");
    }
  });
}
