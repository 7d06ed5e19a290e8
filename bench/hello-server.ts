// The floor every service figure is compared with: Fastify answering a constant on the same
// machine, in its own process, exactly like the service runs.
import Fastify from "fastify";

const app = Fastify({ logger: false });
app.get("/", async () => ({ hello: "world" }));
app.listen({ port: 0, host: "127.0.0.1" }).then(() => {
  const address = app.server.address();
  console.log(`listening on http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`);
});
process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
