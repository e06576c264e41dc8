/**
 * @module TLS stratum (stratum+ssl://): a port's certificate (reloadable) and the TLS layer of one
 * connection.
 *
 * Why node:tls over a Duplex rather than Bun.listen's native `tls` option: the native listener
 * starts the handshake on the first byte, so it cannot serve TLS and plain text on one port (mode
 * `auto` sniffs the first byte, 0x16 being a ClientHello), cannot read a PROXY header that comes
 * before the ClientHello, and cannot answer plain text sent to a TLS port with a readable error.
 * Here the listener stays plain TCP, the connection decides what its first bytes are
 * (preamble.ts), and only then hands the socket's bytes to a server-side TLSSocket. TLS 1.2 and
 * 1.3 are accepted (minVersion TLSv1.2). Certificates are swapped for new connections only; those
 * already connected keep their session.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync, watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import { Duplex } from "node:stream";
import { createSecureContext, TLSSocket, type SecureContext } from "node:tls";
import type { Logger } from "../../shared/log.ts";
import { WriteQueue, writeNow, type ByteSink } from "./write-queue.ts";

export interface LoadedCertificate {
  readonly context: SecureContext;
  readonly subject: string;
  readonly validTo: string;
  readonly fingerprint256: string;
}

/** Reads and checks a PEM chain and key: parseable, the key matches the leaf, valid now. Throws with the reason. */
export function loadCertificate(certPath: string, keyPath: string, now = Date.now()): LoadedCertificate {
  const certPem = readFileSync(certPath, "utf8");
  const keyPem = readFileSync(keyPath, "utf8");
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certPem);
  } catch (e) {
    throw new Error(`${certPath}: not a PEM certificate (${(e as Error).message})`);
  }
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (e) {
    throw new Error(`${keyPath}: not a PEM private key (${(e as Error).message})`);
  }
  if (!leaf.checkPrivateKey(key)) throw new Error(`${keyPath} is not the private key of ${certPath} (${leaf.subject})`);
  if (Date.parse(leaf.validTo) <= now) throw new Error(`${certPath} (${leaf.subject}) expired on ${leaf.validTo}`);
  if (Date.parse(leaf.validFrom) > now) throw new Error(`${certPath} (${leaf.subject}) is not valid before ${leaf.validFrom}`);
  const context = createSecureContext({ cert: certPem, key: keyPem, minVersion: "TLSv1.2" });
  return { context, subject: leaf.subject.replace(/\n/g, ", "), validTo: leaf.validTo, fingerprint256: leaf.fingerprint256 };
}

/**
 * A port's certificate: loaded at start (a failure stops the edge), reloaded on `reload()` (the
 * edge's SIGHUP) and when either file changes. A new certificate that does not load is refused
 * with an error line naming the reason, and the one in use stays.
 */
export class PortCertificate {
  private current: LoadedCertificate;
  private readonly watchers: FSWatcher[] = [];
  private debounce: ReturnType<typeof setTimeout> | undefined;
  reloads = 0;
  failedReloads = 0;

  constructor(
    private readonly certPath: string,
    private readonly keyPath: string,
    private readonly log: Logger,
    watchFiles = true,
  ) {
    this.current = loadCertificate(certPath, keyPath);
    log.info(`TLS certificate ${this.current.subject} (until ${this.current.validTo}) from ${certPath}`);
    // The directories are watched, not the files: certbot and editors replace a file by renaming.
    if (watchFiles) {
      for (const dir of new Set([dirname(certPath), dirname(keyPath)])) {
        try {
          const names = new Set([basename(certPath), basename(keyPath)]);
          const w = watch(dir, (_event, name) => {
            if (name === null || names.has(String(name))) this.scheduleReload();
          });
          w.on("error", () => undefined);
          this.watchers.push(w);
        } catch (e) {
          log.warn(`TLS: cannot watch ${dir} for certificate changes (${(e as Error).message}); reload with SIGHUP`);
        }
      }
    }
  }

  get context(): SecureContext {
    return this.current.context;
  }

  get loaded(): LoadedCertificate {
    return this.current;
  }

  /** Loads the files again; true when the new certificate is in use. */
  reload(why: string): boolean {
    try {
      const next = loadCertificate(this.certPath, this.keyPath);
      const same = next.fingerprint256 === this.current.fingerprint256;
      this.current = next;
      this.reloads++;
      this.log.notice(`TLS certificate ${same ? "reloaded (unchanged)" : "replaced"} (${why}): ${next.subject}, until ${next.validTo}; connected miners keep their sessions`);
      return true;
    } catch (e) {
      this.failedReloads++;
      this.log.error(`TLS certificate reload (${why}) refused, keeping ${this.current.subject} (until ${this.current.validTo}): ${(e as Error).message}`);
      return false;
    }
  }

  close(): void {
    clearTimeout(this.debounce);
    for (const w of this.watchers.splice(0)) w.close();
  }

  private scheduleReload(): void {
    // A renewal writes two files, often in several steps: reload once it has settled.
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.reload("certificate file changed"), 500);
  }
}

/** The raw socket calls a TLS layer needs. */
export interface RawSocket extends ByteSink {
  end(): void;
  terminate(): void;
  pause(): void;
  resume(): void;
  timeout(seconds: number): void;
}

export interface TlsEvents {
  /** Decrypted bytes from the client. */
  data(bytes: Uint8Array): void;
  /** The TLS output drained to the socket: the connection may write again. */
  drained(): void;
  /** A TLS failure (bad handshake, bad record): the connection is over. */
  failed(reason: string): void;
}

/**
 * One connection's TLS, as the socket its Connection writes to (the same calls as a Bun socket:
 * write returning the bytes taken, end, terminate, pause, resume, timeout). Encrypted output the
 * kernel does not take is queued (WriteQueue) and TLS is held until it drains, so a client that
 * stops reading backs up into the Connection's own queue exactly as over plain TCP.
 */
export class TlsLayer implements RawSocket {
  private readonly tls: TLSSocket;
  private readonly duplex: Duplex;
  private rawQueue: WriteQueue | undefined;
  private resumeWrite: (() => void) | undefined;
  private done = false;
  private secured = false;

  constructor(
    private readonly raw: RawSocket,
    context: SecureContext,
    private readonly events: TlsEvents,
    now: () => number,
  ) {
    this.duplex = new Duplex({
      read() {},
      write: (chunk: Buffer, _enc, callback) => {
        if (this.done) return callback();
        const rest = writeNow(this.raw, chunk);
        if (rest === undefined) return callback(new Error("socket closed"));
        if (rest === null) return callback();
        (this.rawQueue ??= new WriteQueue(this.raw, Number.MAX_SAFE_INTEGER)).enqueue(rest, now());
        this.resumeWrite = callback;
      },
      final: (callback) => {
        this.raw.end();
        callback();
      },
    });
    this.tls = new TLSSocket(this.duplex as unknown as import("node:net").Socket, { isServer: true, secureContext: context });
    this.tls.on("data", (b: Buffer) => this.events.data(b));
    this.tls.on("error", (e: Error) => this.fail(e.message));
    this.tls.on("secure", () => (this.secured = true));
  }

  /** Encrypted bytes from the socket (copied: the socket reuses its buffer). */
  push(chunk: Uint8Array): void {
    if (!this.done) this.duplex.push(Buffer.from(chunk));
  }

  /** The socket drained: writes what waited; true when TLS is writable again. */
  rawDrain(): boolean {
    const q = this.rawQueue;
    if (!q) return true;
    if (!q.flush()) {
      this.fail("socket closed");
      return false;
    }
    if (!q.empty) return false;
    this.rawQueue = undefined;
    const cb = this.resumeWrite;
    this.resumeWrite = undefined;
    cb?.();
    this.events.drained();
    return true;
  }

  /** The handshake completed. */
  get secure(): boolean {
    return this.secured;
  }

  get protocol(): string | null {
    return this.tls.getProtocol();
  }

  // ---------------------------------------------------------------- the Connection's socket
  write(data: string | Uint8Array, byteOffset = 0, byteLength?: number): number {
    if (this.done) return -1;
    // Blocked on the socket: take nothing, so the Connection queues (and times out) as over TCP.
    if (this.rawQueue) return 0;
    if (typeof data === "string") {
      this.tls.write(data);
      return Buffer.byteLength(data);
    }
    const len = byteLength ?? data.length - byteOffset;
    this.tls.write(byteOffset === 0 && len === data.length ? data : data.subarray(byteOffset, byteOffset + len));
    return len;
  }

  end(): void {
    if (this.done) return;
    this.tls.end();
  }

  terminate(): void {
    this.close();
    this.raw.terminate();
  }

  pause(): void {
    this.raw.pause();
  }

  resume(): void {
    this.raw.resume();
  }

  timeout(seconds: number): void {
    this.raw.timeout(seconds);
  }

  /** The socket is gone: drops TLS state. */
  close(): void {
    if (this.done) return;
    this.done = true;
    this.rawQueue = undefined;
    this.tls.destroy();
  }

  private fail(reason: string): void {
    if (this.done) return;
    this.events.failed(reason);
  }
}
