/**
 * @module `bun run sv2-keys`: the pool's Stratum V2 authority key and the edges' certificates
 * (sv2-spec §4.5.3, §4.7). See edge/sv2/keys.ts for the file formats.
 *
 *   bun run sv2-keys authority --out sv2-authority.json
 *   bun run sv2-keys certify --authority sv2-authority.json --out sv2-edge.json [--days 365] [--renew sv2-edge.json]
 *   bun run sv2-keys show sv2-edge.json
 *
 * Exit codes: 0 ok; 2 usage error or a bad input file. Files are written 0600 and never overwritten.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { hexToBytes } from "../shared/bitcoin/index.ts";
import { authorityFileText, certifyEdgeKey, newAuthorityKey, parseAuthorityFile, parseEdgeKeyFile } from "../edge/sv2/keys.ts";

const USAGE = `usage:
  bun run sv2-keys authority --out <file>          make the pool's authority key (keep it off the edges)
  bun run sv2-keys certify --authority <file> --out <file> [--days N] [--renew <edge key file>]
                                                   make an edge's static key (or keep --renew's) and sign its certificate
  bun run sv2-keys show <edge key file>            print the authority key and the certificate's window`;

class UsageError extends Error {}

function write(file: string, text: string): void {
  if (existsSync(file)) throw new UsageError(`${file} exists: refusing to overwrite a key file`);
  writeFileSync(file, text, { mode: 0o600 });
}

function main(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { out: { type: "string" }, authority: { type: "string" }, days: { type: "string" }, renew: { type: "string" }, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
    strict: true,
  });
  const [command, arg] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const now = Math.floor(Date.now() / 1000);
  if (command === "authority") {
    if (!values.out) throw new UsageError("authority: expected --out <file>");
    const a = newAuthorityKey();
    write(values.out, authorityFileText(a));
    process.stdout.write(`authority key written to ${values.out}\nauthority public key (the path of stratum2+tcp:// URLs): ${a.encoded}\n`);
    return;
  }
  if (command === "certify") {
    if (!values.authority || !values.out) throw new UsageError("certify: expected --authority <file> and --out <file>");
    const a = parseAuthorityFile(readFileSync(values.authority, "utf8"), values.authority);
    const days = values.days === undefined ? 365 : Number(values.days);
    if (!Number.isInteger(days) || days < 1 || days > 3650) throw new UsageError(`--days: expected a whole number of days in 1..3650, got ${values.days}`);
    // A renewal keeps the edge's static key (miners notice nothing); otherwise a fresh one.
    const secret = values.renew ? hexToBytes((JSON.parse(readFileSync(values.renew, "utf8")) as { secret_key: string }).secret_key) : undefined;
    // Valid from an hour ago: edges whose clocks run a little behind still accept it at once.
    const text = certifyEdgeKey(a, now - 3600, now + days * 86400, secret);
    const k = parseEdgeKeyFile(text, values.out, now); // what the edge will check, checked before writing
    write(values.out, text);
    process.stdout.write(`edge key written to ${values.out}; certificate valid until ${new Date(k.certificate.notValidAfter * 1000).toISOString()}\n`);
    return;
  }
  if (command === "show") {
    if (!arg) throw new UsageError("show: expected an edge key file");
    const k = parseEdgeKeyFile(readFileSync(arg, "utf8"), arg, now);
    const c = k.certificate;
    process.stdout.write(`authority public key: ${k.authorityEncoded}\ncertificate valid ${new Date(c.validFrom * 1000).toISOString()} .. ${new Date(c.notValidAfter * 1000).toISOString()}\n`);
    return;
  }
  throw new UsageError(`unknown command "${command}"`);
}

try {
  main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`sv2-keys: ${(e as Error).message}\n${e instanceof UsageError ? USAGE + "\n" : ""}`);
  process.exit(2);
}
