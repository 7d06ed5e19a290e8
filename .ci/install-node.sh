#!/usr/bin/env bash
# Installs the Node.js release named in .node-version from the npm registry (the official binary
# ships as the package node-linux-<arch>; npm itself is a separate package) into a prefix laid out
# like the official tarball (bin/node, bin/npm, lib/node_modules/npm), and prints the prefix.
#   bash .ci/install-node.sh [x64|arm64]       # cached under ~/.cache/inference-blueprint/node
# The machine's own Node stays as it is; callers put "<prefix>/bin" first on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_VERSION="$(tr -d ' \n' < .node-version)"
# The npm that ships with this Node line.
NPM_VERSION=11.21.2
ARCH="${1:-x64}"
case "$ARCH" in x64|arm64) ;; *) echo "install-node.sh: arch \"$ARCH\": expected x64 or arm64" >&2; exit 2 ;; esac

prefix="${XDG_CACHE_HOME:-$HOME/.cache}/inference-blueprint/node/${NODE_VERSION}-linux-${ARCH}-npm${NPM_VERSION}"
if [ ! -x "$prefix/bin/node" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "node-linux-${ARCH}@${NODE_VERSION}" "npm@${NPM_VERSION}" >/dev/null)
  mkdir -p "$work/prefix/bin" "$work/prefix/lib/node_modules/npm"
  tar xzf "$work/node-linux-${ARCH}-${NODE_VERSION}.tgz" -C "$work/prefix" --strip-components=1 package/bin/node package/include
  tar xzf "$work/npm-${NPM_VERSION}.tgz" -C "$work/prefix/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/prefix/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/prefix/bin/npx"
  mkdir -p "$(dirname "$prefix")"
  rm -rf "$prefix.tmp" && mv "$work/prefix" "$prefix.tmp" && mv "$prefix.tmp" "$prefix"
fi
echo "$prefix"
