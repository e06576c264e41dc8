/**
 * @module A private `redis-server` 7 speaking only TLS, with ACL users from a file, and the
 * certificates it needs made with openssl: a CA, a server certificate for 127.0.0.1 and a client
 * certificate. Optionally a `redis-sentinel` (TLS too) watching it. Tests never touch a Redis they
 * did not start.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis, { type RedisOptions } from "ioredis";
import { freePort } from "./redis.ts";

export interface TestCerts {
  readonly dir: string;
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

function openssl(dir: string, ...args: string[]): void {
  const p = Bun.spawnSync(["openssl", ...args], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`openssl ${args.join(" ")}: ${p.stderr.toString()}`);
}

/** A CA, and server (SAN 127.0.0.1, localhost) and client certificates it signed, in `dir`. */
export function makeCerts(dir: string): TestCerts {
  openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=pp-test-ca");
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  writeFileSync(join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const who of ["server", "client"]) {
    openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${who}.key`, "-out", `${who}.csr`, "-subj", `/CN=pp-test-${who}`);
    openssl(dir, "x509", "-req", "-in", `${who}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${who}.pem`, "-days", "2", "-extfile", `${who}.ext`);
  }
  const f = (n: string) => join(dir, n);
  return { dir, ca: f("ca.pem"), serverCert: f("server.pem"), serverKey: f("server.key"), clientCert: f("client.pem"), clientKey: f("client.key") };
}

/** ioredis TLS options trusting the test CA, with the client certificate unless `clientCert: false`. */
export function tlsOptions(certs: TestCerts, opts: { clientCert?: boolean } = {}): RedisOptions["tls"] {
  const read = (f: string) => readFileSync(f);
  return { ca: read(certs.ca), ...(opts.clientCert === false ? {} : { cert: read(certs.clientCert), key: read(certs.clientKey) }), rejectUnauthorized: true };
}

export interface TlsRedis {
  readonly port: number;
  /** `default` user (left on by the ACL file), over TLS with the client certificate. */
  readonly admin: Redis;
  /** A client as `user`, for permission checks (closed by stop()); `port` for a sentinel of this server. */
  as(user: string, password: string, opts?: { clientCert?: boolean; port?: number }): Redis;
  stop(): Promise<void>;
}

export interface StartTlsRedisOptions {
  readonly certs: TestCerts;
  /** An aclfile (`user …` lines); the `default` user stays as Redis makes it unless the file names it. */
  readonly aclfile: string;
  readonly port?: number;
  readonly authClients?: "yes" | "optional" | "no";
}

export async function startTlsRedis(o: StartTlsRedisOptions): Promise<TlsRedis> {
  const dir = mkdtempSync(join(tmpdir(), "pp-redis-tls-"));
  const port = o.port ?? freePort();
  const c = o.certs;
  const proc = Bun.spawn(
    [
      "redis-server", "--port", "0", "--tls-port", String(port), "--bind", "127.0.0.1",
      "--tls-cert-file", c.serverCert, "--tls-key-file", c.serverKey, "--tls-ca-cert-file", c.ca, "--tls-auth-clients", o.authClients ?? "yes",
      "--aclfile", o.aclfile, "--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no", "--logfile", join(dir, "redis.log"),
    ],
    { stdout: "ignore", stderr: "ignore" },
  );
  const clients: Redis[] = [];
  const as = (user: string, password: string, opts: { clientCert?: boolean; port?: number } = {}) => {
    // A sentinel has no INFO for our users: no ready check there.
    const r = new Redis({ host: "127.0.0.1", port: opts.port ?? port, username: user, password, tls: tlsOptions(c, opts), enableReadyCheck: opts.port === undefined, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    r.on("error", () => {});
    clients.push(r);
    return r;
  };
  const admin = new Redis({ host: "127.0.0.1", port, tls: tlsOptions(c), maxRetriesPerRequest: null, retryStrategy: () => 100 });
  admin.on("error", () => {});
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`redis-server exited (${proc.exitCode}): ${await Bun.file(join(dir, "redis.log")).text().catch(() => "")}`);
    if ((await Promise.race([admin.ping().catch(() => ""), Bun.sleep(500).then(() => "")])) === "PONG") break;
    if (Date.now() > deadline) throw new Error(`TLS redis-server did not answer on ${port}: ${await Bun.file(join(dir, "redis.log")).text().catch(() => "")}`);
    await Bun.sleep(50);
  }
  return {
    port,
    admin,
    as,
    async stop() {
      for (const r of [admin, ...clients]) r.disconnect();
      proc.kill("SIGTERM");
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TlsSentinel {
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * A `redis-sentinel` speaking only TLS (client certificates required unless `authClients`) that watches the master at
 * 127.0.0.1:`masterPort` as `name` over TLS, authenticating to it as Redis's `default` user.
 * `users` are `user …` lines added to its config (its own ACL users).
 */
export async function startTlsSentinel(o: { certs: TestCerts; masterPort: number; name: string; port?: number; users?: string; authClients?: "yes" | "optional" }): Promise<TlsSentinel> {
  const dir = mkdtempSync(join(tmpdir(), "pp-sentinel-tls-"));
  const port = o.port ?? freePort();
  const c = o.certs;
  const conf = join(dir, "sentinel.conf");
  writeFileSync(
    conf,
    [
      "port 0", `tls-port ${port}`, "bind 127.0.0.1", `dir ${dir}`,
      `tls-cert-file ${c.serverCert}`, `tls-key-file ${c.serverKey}`, `tls-ca-cert-file ${c.ca}`,
      // Sentinel's own connections to the servers use TLS too, with the same certificate as client.
      "tls-replication yes", `tls-auth-clients ${o.authClients ?? "yes"}`,
      `sentinel monitor ${o.name} 127.0.0.1 ${o.masterPort} 1`,
      // ACL users (`user …` lines); `default` stays as Sentinel makes it unless they name it.
      o.users ?? "",
      "",
    ].join("\n"),
  );
  const proc = Bun.spawn(["redis-sentinel", conf, "--logfile", join(dir, "sentinel.log")], { stdout: "ignore", stderr: "ignore" });
  const probe = new Redis({ host: "127.0.0.1", port, tls: tlsOptions(c), maxRetriesPerRequest: null, retryStrategy: () => 100 });
  probe.on("error", () => {});
  const deadline = Date.now() + 15_000;
  try {
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`redis-sentinel exited (${proc.exitCode}): ${await Bun.file(join(dir, "sentinel.log")).text().catch(() => "")}`);
      const master = (await Promise.race([probe.call("SENTINEL", "MASTER", o.name).catch(() => null), Bun.sleep(500).then(() => null)])) as string[] | null;
      // Ready once it has reached the master over TLS (no s_down/disconnected flag).
      const flags = master ? master[master.indexOf("flags") + 1] : undefined;
      if (flags === "master") break;
      if (Date.now() > deadline) throw new Error(`sentinel on ${port} did not see its master (flags ${flags}): ${await Bun.file(join(dir, "sentinel.log")).text().catch(() => "")}`);
      await Bun.sleep(100);
    }
  } finally {
    probe.disconnect();
  }
  return {
    port,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
