// Apache Cassandra (cassandra-all from Maven Central, resolved by .ci/install-test-servers.sh
// into test/setup/cassandra/target/lib) run as a single-node test server on Java 17, on free
// loopback ports, with its data in a temporary folder.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "cassandra-driver";
import { freePort, stopProcess } from "./redis";
import type { TestServer } from "./server";

export const TEST_CASSANDRA_PORT = "TEST_CASSANDRA_PORT";
export const TEST_CASSANDRA_DC = "TEST_CASSANDRA_DC";
/** SimpleSnitch puts every node in this data center. */
export const CASSANDRA_DC = "datacenter1";

const LIB_DIR = path.resolve(__dirname, "..", "cassandra", "target", "lib");
const START_TIMEOUT_MS = 120_000;

// From Cassandra 5.0's conf/jvm17-server.options: the JDK internals it reaches into.
const JAVA17_FLAGS = [
  "-Djdk.attach.allowAttachSelf=true",
  ...[
    "java.base/jdk.internal.misc",
    "java.base/jdk.internal.ref",
    "java.base/sun.nio.ch",
    "java.management.rmi/com.sun.jmx.remote.internal.rmi",
    "java.rmi/sun.rmi.registry",
    "java.rmi/sun.rmi.server",
    "java.sql/java.sql",
    "java.base/java.lang.ref",
    "jdk.unsupported/sun.misc",
  ].flatMap((p) => ["--add-exports", `${p}=ALL-UNNAMED`]),
  ...[
    "java.base/java.lang.module",
    "java.base/jdk.internal.loader",
    "java.base/jdk.internal.ref",
    "java.base/jdk.internal.reflect",
    "java.base/jdk.internal.math",
    "java.base/jdk.internal.module",
    "java.base/jdk.internal.util.jar",
    "jdk.management/com.sun.management.internal",
    "java.base/sun.nio.ch",
    "java.base/java.io",
    "java.base/java.nio",
    "java.base/java.util.concurrent",
    "java.base/java.util",
    "java.base/java.util.concurrent.atomic",
    "java.base/java.lang",
    "java.base/java.math",
    "java.base/java.lang.reflect",
    "java.base/java.net",
  ].flatMap((p) => ["--add-opens", `${p}=ALL-UNNAMED`]),
];

function cassandraYaml(nativePort: number, storagePort: number): string {
  return `cluster_name: inference-blueprint-test
num_tokens: 1
initial_token: 0
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
commitlog_sync: periodic
commitlog_sync_period: 10000ms
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "127.0.0.1:${storagePort}"
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: ${storagePort}
native_transport_port: ${nativePort}
start_native_transport: true
authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer
`;
}

const LOGBACK = `<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>\${cassandra.logdir}/system.log</file>
    <encoder><pattern>%-5level [%thread] %date %logger{0} %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE"/></root>
</configuration>
`;

export async function startCassandra(): Promise<TestServer> {
  if (spawnSync("java", ["-version"]).status !== 0) {
    throw new Error("java not found on PATH: Cassandra needs Java 17 (apt-get install openjdk-17-jre-headless)");
  }
  const jars = fs.existsSync(LIB_DIR) ? fs.readdirSync(LIB_DIR).filter((f) => f.endsWith(".jar")) : [];
  if (!jars.some((j) => j.startsWith("cassandra-all-"))) {
    throw new Error(`cassandra-all not found in ${LIB_DIR}: run .ci/install-test-servers.sh to resolve it from Maven Central`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cassandra-test-"));
  const nativePort = await freePort();
  const storagePort = await freePort();
  fs.writeFileSync(path.join(dir, "cassandra.yaml"), cassandraYaml(nativePort, storagePort));
  fs.writeFileSync(path.join(dir, "logback.xml"), LOGBACK);
  const child = spawn(
    "java",
    [
      "-Xms1G",
      "-Xmx1G",
      "-Xss512k",
      "-XX:+UseG1GC",
      ...JAVA17_FLAGS,
      `-Dcassandra.config=file://${path.join(dir, "cassandra.yaml")}`,
      `-Dlogback.configurationFile=file://${path.join(dir, "logback.xml")}`,
      `-Dcassandra.storagedir=${path.join(dir, "data")}`,
      `-Dcassandra.logdir=${dir}`,
      "-Dcassandra-foreground=yes",
      // A single node has no ring to wait for.
      "-Dcassandra.skip_wait_for_gossip_to_settle=0",
      "-Dcassandra.ring_delay_ms=0",
      "-Dcassandra.superuser_setup_delay_ms=0",
      "-cp",
      `${LIB_DIR}/*`,
      "org.apache.cassandra.service.CassandraDaemon",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-4000));
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const stop = async () => {
    await stopProcess(child, 10_000);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForCql(nativePort, () => child.exitCode, START_TIMEOUT_MS);
  } catch (err) {
    const log = tail(path.join(dir, "system.log"));
    await stop();
    throw new Error(`cassandra on port ${nativePort} did not start: ${(err as Error).message}\n${output}\n${log}`);
  }
  return {
    name: "cassandra",
    env: { [TEST_CASSANDRA_PORT]: String(nativePort), [TEST_CASSANDRA_DC]: CASSANDRA_DC },
    stop,
  };
}

async function waitForCql(port: number, exitCode: () => number | null, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const code = exitCode();
    if (code !== null) throw new Error(`java exited with code ${code}`);
    const client = new Client({ contactPoints: [`127.0.0.1:${port}`], localDataCenter: CASSANDRA_DC });
    try {
      await client.connect();
      await client.execute("SELECT release_version FROM system.local");
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await client.shutdown().catch(() => undefined);
    }
  }
  throw new Error(`no CQL answer within ${timeoutMs / 1000} s`);
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, "utf8").split("\n").slice(-30).join("\n");
  } catch {
    return "";
  }
}
