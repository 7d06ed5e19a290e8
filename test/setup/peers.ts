// Where a Python peer's venv lives (.ci/python-peers.sh makes one per test/peers/<name>.requirements.txt).
// A missing venv fails the test with how to make it: peers never skip.
import { existsSync } from "node:fs";
import * as path from "node:path";

const repoRoot = path.resolve(__dirname, "..", "..");

/** The python executable of the `name` peer venv, e.g. peerPython("tritonclient"). */
export function peerPython(name: string): string {
  const python = path.join(repoRoot, ".venvs", name, "bin", "python");
  if (!existsSync(python)) {
    throw new Error(`Python peer "${name}" is not installed (${python} missing): run bash .ci/python-peers.sh`);
  }
  return python;
}
