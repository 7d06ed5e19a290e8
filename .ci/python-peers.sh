#!/usr/bin/env bash
# The Python peers the suite drives (Feast, tritonclient, kserve, schemathesis, ...): one venv per
# test/peers/<name>.requirements.txt at .venvs/<name>, so peers with clashing pins never share one.
# Safe to run again: a venv whose requirements did not change is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
for req in test/peers/*.requirements.txt; do
  name="$(basename "$req" .requirements.txt)"
  venv=".venvs/$name"
  stamp="$venv/.requirements.sha256"
  sum="$(sha256sum "$req" | cut -d' ' -f1)"
  if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ]; then continue; fi
  echo "python peers: $name ($req)"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
  echo "$sum" > "$stamp"
done
