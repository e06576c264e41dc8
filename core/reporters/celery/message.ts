/**
 * @module Celery task messages as a Python producer puts them on a Redis broker: Celery's message
 * protocol v2 inside kombu's Redis transport envelope (the JSON string LPUSHed onto the queue's
 * list; workers BRPOP it). A Celery 5 worker reads these exactly like `app.send_task(...)` output.
 *
 * Why not the npm `celery-node` client (0.5.9, tried against Celery 5.2.6 under Bun): its
 * `sendTask()` returns before the broker has the message and swallows the outcome. With the broker
 * down the task is silently dropped (an unhandled rejection, nothing queued when the broker comes
 * back), so a caller can neither retry nor acknowledge its input only after the broker took the
 * task. It also brings a second ioredis (4.x) plus a result-backend connection we do not want, and
 * cannot use our Sentinel/TLS connection settings. The producer side of the protocol is this file.
 *
 * Envelope: `{body, content-encoding, content-type, headers, properties}`; `body` is base64 of the
 * JSON `[args, kwargs, embed]`; `headers.task` and `headers.id` are what the worker dispatches on.
 */
import { randomUUID } from "node:crypto";
import { pyJsonDumps } from "../../accounting/py-format.ts";

export interface CeleryTask {
  /** Full task name, e.g. `simplecoin.tasks.add_share`. */
  readonly name: string;
  readonly args: readonly unknown[];
  readonly kwargs: Readonly<Record<string, unknown>>;
}

export interface CeleryMessageOptions {
  /** The queue (kombu's routing key and Redis list name). */
  readonly queue: string;
  /** `headers.origin`: who sent it, e.g. `powerpool_0@host`. */
  readonly origin: string;
  /** Task id; a fresh UUID by default. */
  readonly id?: string;
}

/** What a decoded message holds (tests and the monitor's debugging read it back). */
export interface DecodedCeleryMessage {
  readonly id: string;
  readonly task: string;
  readonly args: unknown[];
  readonly kwargs: Record<string, unknown>;
  readonly queue: string;
}

const EMBED = { callbacks: null, errbacks: null, chain: null, chord: null };

/** The JSON string to LPUSH onto the broker list named `opts.queue`. */
export function encodeCeleryMessage(task: CeleryTask, opts: CeleryMessageOptions): string {
  if (!/^[\w.:-]+$/.test(task.name)) throw new RangeError(`encodeCeleryMessage: task name expected letters, digits, . _ : -, got ${JSON.stringify(task.name)}`);
  const id = opts.id ?? randomUUID();
  // Python's json.dumps formatting (floats by repr, ", " separators), as kombu would serialise it.
  const body = pyJsonDumps([task.args, task.kwargs, EMBED]);
  const envelope = {
    body: Buffer.from(body, "utf8").toString("base64"),
    "content-encoding": "utf-8",
    "content-type": "application/json",
    headers: {
      lang: "py",
      task: task.name,
      id,
      shadow: null,
      eta: null,
      expires: null,
      group: null,
      group_index: null,
      retries: 0,
      timelimit: [null, null],
      root_id: id,
      parent_id: null,
      argsrepr: pyJsonDumps(task.args),
      kwargsrepr: pyJsonDumps(task.kwargs),
      origin: opts.origin,
      ignore_result: true,
    },
    properties: {
      correlation_id: id,
      delivery_mode: 2,
      delivery_info: { exchange: "", routing_key: opts.queue },
      priority: 0,
      body_encoding: "base64",
      delivery_tag: randomUUID(),
    },
  };
  return JSON.stringify(envelope);
}

/** Reads back a message made by `encodeCeleryMessage` (or by Python's Celery); throws TypeError on anything else. */
export function decodeCeleryMessage(text: string): DecodedCeleryMessage {
  const where = "decodeCeleryMessage";
  const env: unknown = JSON.parse(text);
  if (typeof env !== "object" || env === null) throw new TypeError(`${where}: expected an object, got ${typeof env}`);
  const e = env as { body?: unknown; headers?: { task?: unknown; id?: unknown }; properties?: { body_encoding?: unknown; delivery_info?: { routing_key?: unknown } } };
  if (typeof e.body !== "string" || e.properties?.body_encoding !== "base64") throw new TypeError(`${where}: expected a base64 body, got ${JSON.stringify(e.properties?.body_encoding)}`);
  if (typeof e.headers?.task !== "string" || typeof e.headers.id !== "string") throw new TypeError(`${where}: expected protocol v2 headers (task, id)`);
  const body: unknown = JSON.parse(Buffer.from(e.body, "base64").toString("utf8"));
  if (!Array.isArray(body) || !Array.isArray(body[0]) || typeof body[1] !== "object" || body[1] === null) throw new TypeError(`${where}: expected a body [args, kwargs, embed]`);
  return { id: e.headers.id, task: e.headers.task, args: body[0] as unknown[], kwargs: body[1] as Record<string, unknown>, queue: String(e.properties.delivery_info?.routing_key ?? "") };
}
