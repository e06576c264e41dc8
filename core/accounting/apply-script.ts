/**
 * @module The exactly-once step: one Lua script that, for a unit of stream entries, checks that
 * none of its records was applied before, marks them applied, performs the planned SimpleCoin
 * writes and XACKs the entries. Redis runs a script in isolation, so a core killed at any moment
 * either applied and acknowledged the whole unit or nothing of it; a redelivered entry then
 * reports its records as seen and is only acknowledged.
 *
 * Seen-set: per edge session, a string of applied seq ranges (`"1-5000,5003-6000"`). Seqs are
 * dense and increasing per session, so the set is almost always one range: a few bytes per
 * session however long it runs, exact (no false positives), and tolerant of out-of-order commits
 * from concurrent core replicas and of spool replays split differently across entries. A bitmap
 * (SETBIT per seq) would grow by a bit per share for the session's life and cap at 2^32 seqs; a
 * plain set costs tens of bytes per share. The key expires `seenTtlSeconds` after the session's
 * last write: a replay older than that would be counted again (edges replay within minutes).
 *
 * The script checks every value a write will meet before the first write (key types, the numbers
 * HINCRBYFLOAT adds and adds to, the TTL, the entry ids), because Redis does not roll back a script
 * that fails half-way: a key it cannot write is reported as `badkey` (the unit waits for an
 * operator), a bad argument as a `BADARG` error (the caller dead-letters the entry); in both cases
 * nothing was written, seen-sets included.
 *
 * Every key the script touches is in KEYS (stream, seen-sets, hashes, lists). They span hash
 * slots, so the accounting Redis must be one primary (a Sentinel setup is fine), not a Cluster.
 */
import type Redis from "ioredis";
import { defineScript } from "./scripts.ts";
import type { SharePlan } from "./share-plan.ts";

const APPLY_LUA = `
local group, ttl = ARGV[1], ARGV[2]
local S, H, L, N = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local function fmt(n) return string.format('%.0f', n) end
local function parse(s)
  local out = {}
  if s then for a, b in string.gmatch(s, '(%d+)-(%d+)') do out[#out + 1] = {tonumber(a), tonumber(b)} end end
  return out
end
local function kind(key, want)
  local t = redis.call('TYPE', key)['ok']
  return t == 'none' or t == want, t
end
-- A finite number well inside a double's range: sums of such numbers stay finite.
local BOUND = 1e300
local function bounded(x) return x ~= nil and x == x and x >= -BOUND and x <= BOUND end
-- What HINCRBYFLOAT reads back: Redis refuses surrounding blanks and 5 KB+ strings where Lua's tonumber does not.
local function stored(v)
  if #v >= 5000 or string.find(v, '^%s') or string.find(v, '%s$') then return nil end
  return tonumber(v)
end
-- 1. Refuse before writing anything: a command failing mid-script keeps the earlier writes
--    (issue 19: an 'inf' increment failed after the seen-set writes). Every value each write
--    will see is checked here: key types, increments, the fields they add to, TTL, entry ids.
do
  local ok, t = kind(KEYS[1], 'stream')
  if not ok then return {'badkey', KEYS[1], 'type ' .. t} end
  local n = tonumber(ttl)
  if not n or n < 1 or n ~= math.floor(n) then return redis.error_reply('BADARG seen-set TTL ' .. tostring(ttl)) end
  for i = 7 + S, 6 + S + N do
    if not string.find(ARGV[i], '^%d+%-%d+$') then return redis.error_reply('BADARG entry id ' .. ARGV[i]) end
  end
end
for i = 2, 1 + S do
  local ok, t = kind(KEYS[i], 'string')
  if not ok then return {'badkey', KEYS[i], 'type ' .. t} end
end
local a = 7 + S + N
for h = 1, H do
  local key = KEYS[1 + S + h]
  local ok, t = kind(key, 'hash')
  if not ok then return {'badkey', key, 'type ' .. t} end
  local n = tonumber(ARGV[a]); a = a + 1
  for j = 0, n - 1 do
    local field, incr = ARGV[a + 2 * j], tonumber(ARGV[a + 2 * j + 1])
    if not bounded(incr) then return redis.error_reply('BADARG increment ' .. ARGV[a + 2 * j + 1] .. ' of ' .. key .. ' ' .. field) end
    if t == 'hash' then
      local v = redis.call('HGET', key, field)
      if v then
        local x = stored(v)
        if not (bounded(x) and bounded(x + incr)) then return {'badkey', key, 'field ' .. field .. ' is not a number within +-1e300'} end
      end
    end
  end
  a = a + 2 * n
end
for l = 1, L do
  local ok, t = kind(KEYS[1 + S + H + l], 'list')
  if not ok then return {'badkey', KEYS[1 + S + H + l], 'type ' .. t} end
end
-- 2. Records applied before: report them and write nothing.
local have, runs, seen = {}, {}, {'seen'}
for s = 1, S do
  have[s] = parse(redis.call('GET', KEYS[1 + s]))
  runs[s] = parse(ARGV[6 + s])
  local i = 1
  for _, r in ipairs(runs[s]) do
    while have[s][i] and have[s][i][2] < r[1] do i = i + 1 end
    local j = i
    while have[s][j] and have[s][j][1] <= r[2] do
      seen[#seen + 1] = s .. ':' .. fmt(math.max(have[s][j][1], r[1])) .. '-' .. fmt(math.min(have[s][j][2], r[2]))
      j = j + 1
    end
  end
end
if #seen > 1 then return seen end
-- 3. Mark, write, acknowledge.
for s = 1, S do
  local all = {}
  for _, x in ipairs(have[s]) do all[#all + 1] = x end
  for _, x in ipairs(runs[s]) do all[#all + 1] = x end
  table.sort(all, function(p, q) return p[1] < q[1] end)
  local out, last = {}, nil
  for _, x in ipairs(all) do
    if last and x[1] <= last[2] + 1 then
      if x[2] > last[2] then last[2] = x[2] end
    else
      last = {x[1], x[2]}
      out[#out + 1] = last
    end
  end
  local parts = {}
  for k, x in ipairs(out) do parts[k] = fmt(x[1]) .. '-' .. fmt(x[2]) end
  redis.call('SET', KEYS[1 + s], table.concat(parts, ','), 'EX', ttl)
end
a = 7 + S + N
for h = 1, H do
  local key = KEYS[1 + S + h]
  local n = tonumber(ARGV[a]); a = a + 1
  for j = 0, n - 1 do redis.call('HINCRBYFLOAT', key, ARGV[a + 2 * j], ARGV[a + 2 * j + 1]) end
  a = a + 2 * n
end
for l = 1, L do
  local key = KEYS[1 + S + H + l]
  local n = tonumber(ARGV[a]); a = a + 1
  -- unpack() is bounded by the Lua C stack: push in chunks.
  for i = 0, n - 1, 1000 do redis.call('RPUSH', key, unpack(ARGV, a + i, a + math.min(i + 999, n - 1))) end
  a = a + n
end
local first = 7 + S
for i = 0, N - 1, 1000 do redis.call('XACK', KEYS[1], group, unpack(ARGV, first + i, first + math.min(i + 999, N - 1))) end
return {'ok'}
`;

export type ApplyOutcome =
  | { readonly kind: "ok" }
  /** Records of the unit that were applied before, per seen-set key, as seq ranges; nothing was written. */
  | { readonly kind: "seen"; readonly ranges: ReadonlyMap<string, [number, number][]> }
  /** A target key holds something we cannot add to (wrong type, non-numeric or overflowing field); nothing was written. */
  | { readonly kind: "badkey"; readonly key: string; readonly detail: string };

export type ShareApplier = (plan: SharePlan) => Promise<ApplyOutcome>;

export function createShareApplier(redis: Redis): ShareApplier {
  const run = defineScript(redis, "ppApplyShares", APPLY_LUA);
  return async (plan) => {
    const reply = await run(plan.keys, plan.args);
    if (!Array.isArray(reply) || typeof reply[0] !== "string") throw new TypeError(`applyShares: expected a status array, got ${JSON.stringify(reply)}`);
    if (reply[0] === "ok") return { kind: "ok" };
    if (reply[0] === "badkey") return { kind: "badkey", key: String(reply[1]), detail: String(reply[2]) };
    const ranges = new Map<string, [number, number][]>();
    for (const item of reply.slice(1)) {
      const m = /^(\d+):(\d+)-(\d+)$/.exec(String(item));
      const key = m ? plan.seenKeys[Number(m[1]) - 1] : undefined;
      if (!m || key === undefined) throw new TypeError(`applyShares: expected "<session>:<a>-<b>", got ${JSON.stringify(item)}`);
      const list = ranges.get(key) ?? [];
      list.push([Number(m[2]), Number(m[3])]);
      ranges.set(key, list);
    }
    return { kind: "seen", ranges };
  };
}
