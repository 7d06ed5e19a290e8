#!/usr/bin/env bash
# Builds a local stand-in for AWS's Lambda Node.js base image (public.ecr.aws/lambda/nodejs:<major>),
# which no registry reachable here serves, into the podman storage the caller's environment selects
# (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF), and tags it TAG (amd64; TAG-arm64 and the list
# TAG-multiarch for the arm64 build, see the end):
#   bash test/image/stand-in/build.sh TAG
# Like AWS's image: Node under /var/lang, the runtime interface client (npm aws-lambda-ric) run by
# /var/runtime/bootstrap, the Runtime Interface Emulator, /lambda-entrypoint.sh, WORKDIR /var/task,
# and no find, curl or wget (AWS's images are AL2023-minimal). What is slow and stable (root
# filesystem, aws-lambda-ric's native build, the emulator) is cached by version under
# $IMAGE_TEST_CACHE (default ~/.cache/inference-blueprint/image).
set -euo pipefail
TAG="${1:?usage: build.sh TAG}"
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"

SUITE=bookworm
RIC_VERSION=4.0.2
# The emulator's repository has no semver tags: a pinned pseudo-version of its main branch.
RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d
# The emulator's go.mod needs Go >= 1.26.6; an older local go fetches this toolchain from the proxy.
GO_TOOLCHAIN=go1.26.8
PATH="$PATH:/usr/local/go/bin"
cache="${IMAGE_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/inference-blueprint/image}"
mkdir -p "$cache"

node_prefix="$(bash "$repo/.ci/install-node.sh" x64)"
node_version="$("$node_prefix/bin/node" --version)"

rootfs="$cache/rootfs-$SUITE-minbase.tar"
ric="$cache/aws-lambda-ric-$RIC_VERSION-node-${node_version%%.*}"
rie="$cache/aws-lambda-rie-$RIE_VERSION"

build_rootfs() {
  [ -f "$rootfs" ] && return
  # The host's own apt sources (mirror or snapshot), so the stand-in matches what the host can reach.
  local sources=()
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    [ -s "$f" ] && sources+=("$f")
  done
  mmdebstrap --quiet --format=tar --variant=minbase --include=ca-certificates "$SUITE" "$rootfs.tmp" "${sources[@]}"
  mv "$rootfs.tmp" "$rootfs"
}

build_ric() {
  [ -d "$ric" ] && return
  # Native build (curl, aws-lambda-cpp, the addon) against the stand-in's Node headers.
  rm -rf "$ric.tmp" && mkdir -p "$ric.tmp"
  PATH="$node_prefix/bin:$PATH" npm_config_nodedir="$node_prefix" \
    npm install --prefix "$ric.tmp" --no-save --no-audit --no-fund --loglevel=error "aws-lambda-ric@$RIC_VERSION" >/dev/null
  mv "$ric.tmp" "$ric"
}

build_rie() {
  [ -x "$rie" ] && return
  rm -rf "$rie.bin" && mkdir -p "$rie.bin"
  GOTOOLCHAIN="$GO_TOOLCHAIN" GOBIN="$rie.bin" CGO_ENABLED=0 \
    go install "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$RIE_VERSION"
  mv "$rie.bin/aws-lambda-rie" "$rie" && rmdir "$rie.bin"
}

# The three ingredients are independent: build them at once.
pids=()
build_rootfs & pids+=($!)
build_ric & pids+=($!)
build_rie & pids+=($!)
for pid in "${pids[@]}"; do wait "$pid"; done

context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
cp -a "$node_prefix" "$context/lang"
rm -rf "$context/lang/include"
mkdir -p "$context/runtime"
cp -a "$ric/node_modules" "$context/runtime/node_modules"
cp "$rie" "$context/aws-lambda-rie"
cp "$here/lambda-entrypoint.sh" "$here/bootstrap" "$context/"
# Egress from this machine re-signs TLS with its own CA; npm inside image builds must trust it.
# Only the stand-in does this: the project's Dockerfile must not need it.
cp /etc/ssl/certs/ca-certificates.crt "$context/"

rootfs_image="localhost/stand-in-rootfs:$SUITE"
podman image exists "$rootfs_image" || podman import --quiet "$rootfs" "$rootfs_image" >/dev/null
podman build --quiet --build-arg ROOTFS="$rootfs_image" -f "$here/Containerfile" -t "$TAG" "$context" >/dev/null

# The arm64 stand-in: no emulator here to run an arm64 root filesystem's setup, but nothing runs in
# the Dockerfile's final stage, so a base holding arm64 Node and the entrypoint is enough to build
# and inspect the arm64 image. "$TAG-multiarch" lists both, as AWS's tag does.
arm64_prefix="$(bash "$repo/.ci/install-node.sh" arm64)"
mkdir -p "$context/arm64/var/lang"
cp -a "$arm64_prefix/bin" "$arm64_prefix/lib" "$context/arm64/var/lang/"
cp "$here/lambda-entrypoint.sh" "$context/arm64/"
tar -C "$context/arm64" -cf "$context/arm64.tar" .
podman import --quiet --arch arm64 --change "WORKDIR /var/task" --change 'ENTRYPOINT ["/lambda-entrypoint.sh"]' \
  "$context/arm64.tar" "$TAG-arm64" >/dev/null
podman manifest exists "$TAG-multiarch" && podman manifest rm "$TAG-multiarch" >/dev/null
podman manifest create "$TAG-multiarch" >/dev/null
podman manifest add "$TAG-multiarch" "containers-storage:$TAG" >/dev/null
podman manifest add "$TAG-multiarch" "containers-storage:$TAG-arm64" >/dev/null
