// An S3-compatible server for `s3://` model loading: moto's server (PyPI `moto[server]`),
// installed by .ci/run. Missing → the run fails with how to install it.
import { spawn } from "node:child_process";
import { freePort } from "./free-port";
import type { TestServer } from "./server";

async function waitForHttp(url: string, deadline: number, exited: () => string | undefined): Promise<void> {
  for (;;) {
    const why = exited();
    if (why) throw new Error(why);
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`no answer from ${url} within the start-up deadline`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** `port`: a given one (a test that starts the server late, on a port a service already uses). */
export async function startS3(port?: number): Promise<TestServer> {
  port ??= await freePort();
  const python = process.env.PYTHON ?? "python3";
  const child = spawn(python, ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  let exit: string | undefined;
  child.on("exit", (code) => {
    exit = `S3 test server (${python} -m moto.server) exited with code ${code}: ${stderr.trim().split("\n").slice(-3).join(" | ")}; install it with: pip install "moto[server]"`;
  });
  child.on("error", (err) => (exit = `cannot start ${python}: ${err.message}`));
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${endpoint}/moto-api/`, Date.now() + 30_000, () => exit);
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  return {
    name: "s3",
    env: { TEST_S3_ENDPOINT: endpoint },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
