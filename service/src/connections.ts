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
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { FastifyHttpOptions, FastifyInstance } from "fastify";
import { ENV, type ServiceConfig } from "./config";
import { errorShapeOptions } from "./errors";

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
      // A timeout names the limits; every other parse error is answered as errors.ts does.
      if (err.code !== "ERR_HTTP_REQUEST_TIMEOUT") return errorShapeOptions.clientErrorHandler?.(err, socket);
      if (socket.destroyed) return;
      sendRaw(socket, 408, {
        error: `request not received in time: headers are expected within ${s.headersTimeoutMs} ms (${ENV.headersTimeoutMs}) and the whole request within ${s.requestTimeoutMs} ms (${ENV.requestTimeoutMs})`,
      });
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

interface Connections {
  open: Set<Socket>;
  /** Requests in progress per connection. */
  busy: WeakMap<Socket, number>;
}
const tracked = new WeakMap<object, Connections>();

/**
 * Tracks open connections and the requests in progress on each (a drain closes only the idle
 * ones); a request on a connection opened beyond the cap gets 503 with `connection: close`
 * (Node's own `maxConnections` would reset it without a word).
 */
export function capConnections(app: FastifyInstance, maxConnections: number): void {
  const connections: Connections = { open: new Set(), busy: new WeakMap() };
  tracked.set(app.server, connections);
  const overCap = new WeakSet<Socket>();
  app.server.on("connection", (socket: Socket) => {
    connections.open.add(socket);
    if (connections.open.size > maxConnections) overCap.add(socket);
    socket.once("close", () => connections.open.delete(socket));
  });
  app.server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    connections.busy.set(socket, (connections.busy.get(socket) ?? 0) + 1);
    res.once("close", () => connections.busy.set(socket, (connections.busy.get(socket) ?? 1) - 1));
  });
  app.addHook("onRequest", (request, reply, done) => {
    if (!overCap.has(request.raw.socket)) return done();
    reply
      .code(503)
      .header("connection", "close")
      .send({ error: `too many open connections (more than ${maxConnections}, ${ENV.maxConnections}); retry later` });
  });
}

/** The open connections of a server set up by `capConnections`, and whether each is idle. */
export function openConnections(server: object): Array<{ socket: Socket; idle: boolean }> {
  const c = tracked.get(server);
  return c ? [...c.open].map((socket) => ({ socket, idle: (c.busy.get(socket) ?? 0) === 0 })) : [];
}
