/**
 * @module `bun run hash <algo> <header-hex> [--ntime <unix>]`: print the PoW hash of a header in
 * display (reversed) hex, for operators and scripts.
 *
 * Exit codes: 0 ok; 2 usage error (unknown algorithm, malformed hex, bad --ntime); 1 the
 * start-up self-test failed or the library could not be loaded. Only the hash goes to stdout.
 */
import { BUILTIN_ALGORITHMS } from "../shared/pow/algorithms.ts";
import { createHasher } from "../shared/pow/hashers.ts";
import { loadPowNative } from "../shared/pow/native.ts";
import { resolveAlgorithm } from "../shared/pow/registry.ts";
import { headerNtime } from "../shared/pow/scrypt-n.ts";
import { selfTest } from "../shared/pow/self-test.ts";

const USAGE = `usage: bun run hash <algo> <header-hex> [--ntime <unix>]
  algo        one of ${Object.keys(BUILTIN_ALGORITHMS).join(", ")}
  header-hex  the serialized header (usually 80 bytes = 160 hex digits)
  --ntime     scryptn only: the time that selects N (default: the header's nTime, bytes 68..71)
prints the PoW hash in display (reversed) hex`;

class UsageError extends Error {}

interface Args {
  readonly algo: string;
  readonly header: Uint8Array;
  readonly ntime: number | undefined;
}

function parseArgs(argv: readonly string[]): Args | "help" {
  const positional: string[] = [];
  let ntimeText: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-h" || arg === "--help") return "help";
    if (arg === "--ntime") {
      ntimeText = argv[++i];
      if (ntimeText === undefined) throw new UsageError("--ntime: expected a unix time after it");
    } else if (arg.startsWith("--ntime=")) {
      ntimeText = arg.slice("--ntime=".length);
    } else if (arg.startsWith("-") && arg.length > 1) {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      positional.push(arg);
    }
  }
  if (positional.length !== 2) throw new UsageError(`expected <algo> <header-hex>, got ${positional.length} argument(s)`);
  const [algo, hexArg] = positional as [string, string];
  if (!Object.hasOwn(BUILTIN_ALGORITHMS, algo)) {
    throw new UsageError(`unknown algorithm "${algo}"; expected one of ${Object.keys(BUILTIN_ALGORITHMS).join(", ")}`);
  }
  const hex = hexArg.startsWith("0x") ? hexArg.slice(2) : hexArg;
  const bad = hex.search(/[^0-9a-fA-F]/);
  if (hex.length === 0 || hex.length % 2 !== 0 || bad >= 0) {
    const preview = hex.length > 24 ? `${hex.slice(0, 24)}…` : hex;
    const why =
      bad >= 0
        ? `non-hex character ${JSON.stringify(hex[bad])} at position ${bad}`
        : hex.length === 0
          ? "an empty string"
          : `odd length ${hex.length}`;
    throw new UsageError(`malformed header hex "${preview}": expected an even number of hex digits, got ${why}`);
  }
  let ntime: number | undefined;
  if (ntimeText !== undefined) {
    ntime = /^\d+$/.test(ntimeText) ? Number(ntimeText) : Number.NaN;
    if (!Number.isInteger(ntime) || ntime > 0xffffffff) {
      throw new UsageError(`--ntime: expected an integer unix time in [0, 2^32), got "${ntimeText}"`);
    }
  }
  return { algo, header: Uint8Array.from(Buffer.from(hex, "hex")), ntime };
}

function main(argv: readonly string[]): number {
  let args: Args | "help";
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`hash: ${error.message}\n${USAGE}`);
    return 2;
  }
  if (args === "help") {
    console.log(USAGE);
    return 0;
  }
  const info = resolveAlgorithm(args.algo);
  if (info.pow === "scryptn" && args.ntime === undefined && args.header.length < 72) {
    console.error(`hash: scryptn needs --ntime or a header of at least 72 bytes (got ${args.header.length})\n${USAGE}`);
    return 2;
  }
  try {
    const native = loadPowNative();
    selfTest([info], native);
    const out = new Uint8Array(32);
    createHasher(info, native).hashInto(args.header, out, args.ntime ?? (info.pow === "scryptn" ? headerNtime(args.header) : undefined));
    console.log(Buffer.from(out).reverse().toString("hex"));
    return 0;
  } catch (error) {
    console.error(`hash: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
