// HTTP connection limits, so slow or silent clients cannot hold the process's sockets:
//   - the request line and headers must arrive within HEADERS_TIMEOUT_MS (a silent new
//     connection is closed), the whole request, body included, within REQUEST_TIMEOUT_MS (a
//     trickled body is cut off); both answer 408 in the service's error shape. The request
//     timeout stays below the ALB idle timeout, so a client hears our 408 rather than the ALB's 504;
//   - an idle keep-alive connection is closed after KEEP_ALIVE_TIMEOUT_MS, above the ALB idle
//     timeout, so the ALB always closes first and never sends on a connection we are closing;
//   - at most MAX_CONNECTIONS open connections; one beyond it gets a single 503 with
//     `connection: close` instead of being reset, so a load balancer can pass the answer on.
import type { Socket } from "node:net";
import { STATUS_CODES, type Server } from "node:http";
import type { FastifyHttpOptions, FastifyInstance } from "fastify";
import { ENV, type ServiceConfig } from "./config";

export type ConnectionSettings = Pick<ServiceConfig, "requestTimeoutMs" | "headersTimeoutMs" | "keepAliveTimeoutMs" | "maxConnections">;

/** Fastify's server options for these limits. */
export function connectionOptions(s: ConnectionSettings): FastifyHttpOptions<Server> {
  return {
    requestTimeout: s.requestTimeoutMs,
    keepAliveTimeout: s.keepAliveTimeoutMs,
    http: {
      headersTimeout: s.headersTimeoutMs,
      // Node checks both timeouts on this interval (default 30 s, which would let a 1 s limit
      // run for 31 s).
      connectionsCheckingInterval: Math.min(1_000, s.headersTimeoutMs),
    },
    // Requests that arrive during a drain are served, with `connection: close` (see server.ts).
    return503OnClosing: false,
    clientErrorHandler(err, socket) {
      // A reset connection has nobody left to answer.
      if (err.code === "ECONNRESET" || socket.destroyed) return;
      const [status, error] =
        err.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? [408, `request not received in time: headers are expected within ${s.headersTimeoutMs} ms (${ENV.headersTimeoutMs}) and the whole request within ${s.requestTimeoutMs} ms (${ENV.requestTimeoutMs})`]
          : err.code === "HPE_HEADER_OVERFLOW"
            ? [431, "request headers are too large"]
            : [400, `malformed HTTP request (${err.code ?? err.message})`];
      sendRaw(socket, status, { error });
    },
  };
}

/** An answer written straight to a socket the HTTP parser gave up on, then the connection is closed. */
function sendRaw(socket: Socket, status: number, body: { error: string }): void {
  // A response already under way cannot be replaced; closing is all that is left.
  const busy = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (socket.writable && !busy) {
    const json = JSON.stringify(body);
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(json)}\r\nconnection: close\r\n\r\n${json}`,
      () => socket.destroy(),
    );
    return;
  }
  socket.destroy();
}

/**
 * Counts open connections; a request on a connection opened beyond the cap gets 503 with
 * `connection: close` (Node's own `maxConnections` would reset it without a word).
 */
export function capConnections(app: FastifyInstance, maxConnections: number): void {
  let open = 0;
  const overCap = new WeakSet<Socket>();
  app.server.on("connection", (socket: Socket) => {
    open += 1;
    if (open > maxConnections) overCap.add(socket);
    socket.once("close", () => (open -= 1));
  });
  app.addHook("onRequest", (request, reply, done) => {
    if (!overCap.has(request.raw.socket)) return done();
    reply
      .code(503)
      .header("connection", "close")
      .send({ error: `too many open connections (more than ${maxConnections}, ${ENV.maxConnections}); retry later` });
  });
}
