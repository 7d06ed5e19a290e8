#!/usr/bin/env bash
# Installs the real servers the tests run against, on a fresh Debian machine; safe to run again.
#   redis-server  from Debian
#   wrk           from Debian: the load generator of `npm run bench` (bench/service.ts)
#   Cassandra     cassandra-all from Maven Central, run on Java 17 (test/setup/servers/cassandra.ts)
#   rsvg-convert  from Debian, with a font: the compare chart test renders its SVG to PNG
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

command -v redis-server >/dev/null || apt_install redis-server
command -v wrk >/dev/null || apt_install wrk
command -v java >/dev/null || apt_install openjdk-17-jre-headless
command -v mvn >/dev/null || apt_install maven
command -v rsvg-convert >/dev/null || apt_install librsvg2-bin
apt_install fonts-dejavu-core

# Debian's package starts a system instance on 6379; the tests start their own on free ports.
if command -v systemctl >/dev/null && systemctl is-active --quiet redis-server 2>/dev/null; then
  systemctl stop redis-server || true
fi

lib=test/setup/cassandra/target/lib
if ! ls "$lib"/cassandra-all-*.jar >/dev/null 2>&1; then
  echo "resolving cassandra-all from Maven Central into $lib"
  mvn -B -q -f test/setup/cassandra/pom.xml dependency:copy-dependencies
fi
echo "test servers: $(redis-server --version | cut -d' ' -f3), $(ls "$lib"/cassandra-all-*.jar | xargs -n1 basename)"
