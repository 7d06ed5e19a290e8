// The HTTP server as a real process (`service/src/server.ts` under ts-node), for the behaviours
// only a process shows: health over time, signals, exit codes.
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";

export interface ServiceProcess {
  child: ChildProcess;
  /** Everything it wrote so far (JSON log lines). */
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Resolves when the output matches, rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
}

const ROOT = path.resolve(__dirname, "..", "..");

/** Starts it; it listens only once model loading has finished (loaded, or gave up). */
export function spawnServiceProcess(env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "service/src/server.ts"], {
    cwd: ROOT,
    env: { ...process.env, PORT: "0", ADMIN_PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const listeners = new Set<() => void>();
  const append = (d: Buffer) => {
    output += d.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on("data", append);
  child.stderr!.on("data", append);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const waitFor = (pattern: RegExp, timeoutMs: number) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const m = pattern.exec(output);
        if (!m) return;
        done();
        resolve(m);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${output}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });
  return { child, output: () => output, exited, waitFor };
}

/** Waits until it listens; the public listener (PORT) and the admin one (ADMIN_PORT). */
export async function listening(p: ServiceProcess, timeoutMs = 90_000): Promise<{ url: string; adminUrl: string }> {
  const m = await Promise.race([
    p.waitFor(/listening on (http:\/\/[0-9.:]+) \(admin on (http:\/\/[0-9.:]+)\)/, timeoutMs),
    p.exited.then((code) => Promise.reject(new Error(`server exited with ${code} before listening: ${p.output()}`))),
  ]);
  return { url: m[1], adminUrl: m[2] };
}

/** Stops it if still running and waits for the exit. */
export async function stopServiceProcess(p: ServiceProcess | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill("SIGKILL");
  await p.exited;
}
