/**
 * @module Fencing (issue 16 §1): every write an active core makes checks, atomically inside Redis,
 * that the leader epoch it was elected under is still the current one. A deposed core that wakes
 * up (GC pause, SIGSTOP, partition) then has every write refused with a `FENCED` error — its stream
 * entries stay pending and the new leader claims them — instead of recording, publishing jobs or
 * acknowledging twice.
 *
 * The fence travels with the core's Redis connection (`attachFence` right after connecting), so the
 * modules that write (accounting scripts, job publisher, dead letters, reporter outboxes) pick it up
 * without each growing an option: `defineScript` wraps its Lua in the check, and `fencedTx` replaces
 * MULTI with one Lua script that checks, then runs the queued commands. Without a fence (unit tests,
 * tools) both behave exactly as before.
 */
import type Redis from "ioredis";
import { defineLuaCommand } from "../../shared/redis.ts";

export interface Fence {
  /** The epoch counter (`core:epoch`), INCRed by every new lease. */
  readonly key: string;
  /** The epoch this core was elected under. */
  readonly epoch: number;
}

const fences = new WeakMap<object, Fence>();

/** Call before the connection's first command: ioredis auto-pipelines lack commands defined after they were built. */
export function attachFence(redis: Redis, fence: Fence): void {
  fences.set(redis, fence);
  defineLuaCommand(redis, EXEC_COMMAND, EXEC_LUA);
}

export function fenceOf(redis: object): Fence | undefined {
  return fences.get(redis);
}

/** A write refused because this core's epoch is no longer the current one. */
export function isFenced(e: unknown): boolean {
  return e instanceof Error && e.message.startsWith("FENCED");
}

const CHECK = `if redis.call('GET', KEYS[#KEYS]) ~= ARGV[#ARGV] then return redis.error_reply('FENCED epoch ' .. ARGV[#ARGV] .. ' is no longer the leader (current: ' .. tostring(redis.call('GET', KEYS[#KEYS])) .. ')') end`;

/**
 * A script that takes the fence key as its last KEY and the epoch as its last ARGV, checks them
 * and runs `lua` with both removed (its body becomes a function of KEYS and ARGV, so positions,
 * `#KEYS` and `unpack(ARGV, i)` mean what they did).
 */
export function fencedLua(lua: string): string {
  return `${CHECK}
local function body(KEYS, ARGV)
${lua}
end
local k, a = {}, {}
for i = 1, #KEYS - 1 do k[i] = KEYS[i] end
for i = 1, #ARGV - 1 do a[i] = ARGV[i] end
return body(k, a)
`;
}

const EXEC_COMMAND = "ppFencedExec";
/** Runs counted commands after the check; each reply (or error) in order, like EXEC. A nil reply becomes ''. */
const EXEC_LUA = `${CHECK}
local out, i, n = {}, 1, #ARGV - 1
while i <= n do
  local c = tonumber(ARGV[i])
  local r = redis.pcall(unpack(ARGV, i + 1, i + c))
  if r == false then r = '' end
  out[#out + 1] = r
  i = i + c + 1
end
return out
`;

type Arg = string | number | Buffer;
/** Commands whose trailing arguments can be split over several calls (Lua's unpack is bounded): name → leading args kept in each. */
const SPLITTABLE: Record<string, number> = { XACK: 2, RPUSH: 1 };
const CHUNK = 2000;

/** What `exec()` answers: like ioredis MULTI, [error, reply] per queued command; null never (kept for call sites written for MULTI). */
export type TxResult = [Error | null, unknown][];

export interface Tx {
  call(command: string, ...args: Arg[]): Tx;
  exec(): Promise<TxResult | null>;
}

/** MULTI, or with a fence attached to `redis` one fenced script that runs the same commands atomically. */
export function fencedTx(redis: Redis): Tx {
  const fence = fenceOf(redis);
  if (!fence) {
    const multi = redis.multi();
    const tx: Tx = {
      call(command, ...args) {
        multi.call(command, ...args);
        return tx;
      },
      exec: () => multi.exec(),
    };
    return tx;
  }
  const commands: { name: string; parts: Arg[][] }[] = [];
  const tx: Tx = {
    call(command, ...args) {
      const name = command.toUpperCase();
      const lead = SPLITTABLE[name];
      const parts: Arg[][] = [];
      if (lead !== undefined && args.length > lead + CHUNK) {
        for (let i = lead; i < args.length; i += CHUNK) parts.push([name, ...args.slice(0, lead), ...args.slice(i, i + CHUNK)]);
      } else parts.push([name, ...args]);
      commands.push({ name, parts });
      return tx;
    },
    async exec() {
      const argv: Arg[] = [];
      for (const c of commands) for (const p of c.parts) argv.push(p.length, ...p);
      argv.push(String(fence.epoch));
      const run = (redis as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[EXEC_COMMAND]!;
      const replies = await run.call(redis, 1, fence.key, ...argv);
      if (!Array.isArray(replies)) throw new TypeError(`fenced transaction: expected an array of replies, got ${typeof replies}`);
      const out: TxResult = [];
      let at = 0;
      for (const c of commands) {
        const got = replies.slice(at, at + c.parts.length);
        at += c.parts.length;
        const err = got.find((r): r is Error => r instanceof Error);
        // A split XACK answers the sum, a split RPUSH the last length.
        const reply = c.name === "XACK" ? got.reduce<number>((s, r) => s + Number(r), 0) : got[got.length - 1];
        out.push(err ? [err, null] : [null, reply]);
      }
      return out;
    },
  };
  return tx;
}
