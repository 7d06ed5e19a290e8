#!/usr/bin/env bash
# Installs what test/image/ needs to build service/Dockerfile and run it, on a fresh Debian machine;
# safe to run again. No registry serves AWS's base image here, so the test builds a stand-in.
#   podman, buildah, runc...   build and run images (rootful; the test keeps its storage in a scratch dir)
#   mmdebstrap                 the stand-in's minimal Debian root filesystem
#   cmake, g++, autotools      aws-lambda-ric's native build (curl, aws-lambda-cpp, the addon)
#   go >= 1.21                 builds AWS's Runtime Interface Emulator; it fetches the toolchain the
#                              emulator needs (GOTOOLCHAIN) from the Go module proxy
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(podman buildah runc fuse-overlayfs uidmap slirp4netns mmdebstrap
          cmake g++ make autoconf automake libtool python3 ca-certificates)
missing=()
for pkg in "${packages[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian 12's golang-go (1.19) predates GOTOOLCHAIN: without a newer go, take the Go toolchain
# module itself from the proxy (what GOTOOLCHAIN downloads) into /usr/local/go.
go_ok() { command -v go >/dev/null && go version | grep -Eq 'go1\.(2[1-9]|[3-9][0-9])'; }
if ! go_ok && [ ! -x /usr/local/go/bin/go ]; then
  toolchain="v0.0.1-go1.26.8.linux-$(dpkg --print-architecture)"
  echo "installing the Go toolchain $toolchain from the Go module proxy"
  work="$(mktemp -d)"
  curl -fsSL -o "$work/go.zip" "https://proxy.golang.org/golang.org/toolchain/@v/$toolchain.zip"
  (cd "$work" && python3 -m zipfile -e go.zip .)
  mv "$work/golang.org/toolchain@$toolchain" /usr/local/go
  chmod +x /usr/local/go/bin/* /usr/local/go/pkg/tool/*/*
  rm -rf "$work"
fi
