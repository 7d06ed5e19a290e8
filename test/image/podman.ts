// Rootful podman for the image test, with its storage and configuration in a scratch directory
// that dispose() removes, and the two settings this kind of host needs (see IMAGE_TESTING notes in
// README): runc instead of crun (hybrid cgroups) and explicit ulimits within the host's hard limits
// (no CAP_SYS_RESOURCE to raise them).
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs a command to completion; resolves with its exit code whatever it is. */
export function runCommand(file: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 15 * 60_000): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== "number") reject(new Error(`${file} ${args.join(" ")}: ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr, code: err ? (err.code as number) : 0 });
    });
  });
}

function hardLimit(flag: "-Hn" | "-Hu"): number {
  const value = execFileSync("bash", ["-c", `ulimit ${flag}`], { encoding: "utf8" }).trim();
  return value === "unlimited" ? Number.POSITIVE_INFINITY : Number(value);
}

export class Podman {
  private constructor(
    private readonly dir: string,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  static create(): Podman {
    const nofile = Math.min(hardLimit("-Hn"), 65536);
    const nproc = Math.min(hardLimit("-Hu"), 32768);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-test-"));
    fs.writeFileSync(
      path.join(dir, "containers.conf"),
      `[containers]\ndefault_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]\n[engine]\nruntime = "runc"\n`,
    );
    fs.writeFileSync(
      path.join(dir, "storage.conf"),
      `[storage]\ndriver = "overlay"\ngraphroot = "${dir}/storage"\nrunroot = "${dir}/run"\n`,
    );
    const env = { ...process.env, CONTAINERS_CONF: path.join(dir, "containers.conf"), CONTAINERS_STORAGE_CONF: path.join(dir, "storage.conf") };
    return new Podman(dir, env);
  }

  /** `podman <args>`, whatever its exit code. */
  exec(args: readonly string[], timeoutMs?: number): Promise<CommandResult> {
    return runCommand("podman", args, this.env, timeoutMs);
  }

  /** `podman <args>`, its stdout; a non-zero exit throws with podman's stderr. */
  async run(args: readonly string[], timeoutMs?: number): Promise<string> {
    const r = await this.exec(args, timeoutMs);
    if (r.code !== 0) throw new Error(`podman ${args.join(" ")} exited ${r.code}:\n${r.stderr.slice(-4000)}`);
    return r.stdout.trim();
  }

  /** Removes every container and image of this scratch storage, then the storage itself. */
  async dispose(): Promise<void> {
    await this.exec(["system", "reset", "--force"]);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
