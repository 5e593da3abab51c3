// The platform baseline for `npm run bench`: the least a flag change can do on this runtime and
// still be a durable, delivered change. PATCH /flags/:flag {enabled, path?, fanout?} makes one
// Durable Object call; the object writes one D1 batch (the state, the event, one delivery row per
// target) and sends the deliveries to the queue before answering; the consumer POSTs every message
// of a batch concurrently to the receiver. No auth, validation, diffing, signing or attempt log:
// whatever Flagpost measures above this is Flagpost's own cost.
//
// With CLAIM_AND_LOG = "true" the consumer also does what Flagpost's guarantees need of the platform,
// and nothing else: one D1 batch claims the queue batch's attempts before the POSTs, one logs them
// after. The difference between the two variants is what claim-once, logged attempts cost on this
// runtime at the least.
import { DurableObject } from "cloudflare:workers";

interface Env {
  DB: D1Database;
  CHANGES: DurableObjectNamespace<ChangeDO>;
  DELIVERIES: Queue<DeliveryMessage>;
  RECEIVER_URL: string;
  CLAIM_AND_LOG: string;
}

interface Change {
  flag: string;
  enabled: boolean;
  /** Receiver path; with a fan-out of n, targets are `<path>/0` … `<path>/n-1`. */
  path: string;
  fanout: number;
}

interface DeliveryMessage {
  id: string;
  url: string;
  body: string;
}

export class ChangeDO extends DurableObject<Env> {
  /** For `GET /unit/rpc`: a call that does nothing. */
  async ping(n: number): Promise<number> {
    return n + 1;
  }

  async change(c: Change): Promise<{ event_id: string; deliveries: number }> {
    const now = Date.now();
    const eventId = crypto.randomUUID();
    const body = JSON.stringify({ id: eventId, event: "flag.toggled", timestamp: new Date(now).toISOString(), flag: { key: c.flag, enabled: c.enabled } });
    const base = this.env.RECEIVER_URL + c.path;
    const messages = Array.from({ length: c.fanout }, (_, i) => ({ id: crypto.randomUUID(), url: c.fanout > 1 ? `${base}/${i}` : base, body }));
    const db = this.env.DB;
    await db.batch([
      db
        .prepare("INSERT INTO states (flag, enabled, version) VALUES (?1, ?2, 1) ON CONFLICT (flag) DO UPDATE SET enabled = ?2, version = version + 1")
        .bind(c.flag, c.enabled ? 1 : 0),
      db.prepare("INSERT INTO events (id, flag, body, created_at) VALUES (?1, ?2, ?3, ?4)").bind(eventId, c.flag, body, now),
      // One statement for all targets, as Flagpost's outbox does (a bound-parameter list would cap it).
      db
        .prepare(
          `INSERT INTO deliveries (id, event_id, url, status, created_at)
           SELECT json_extract(value, '$.id'), ?1, json_extract(value, '$.url'), 'pending', ?2 FROM json_each(?3)`,
        )
        .bind(eventId, now, JSON.stringify(messages.map(({ id, url }) => ({ id, url })))),
    ]);
    await this.env.DELIVERIES.sendBatch(messages.map((m) => ({ body: m, contentType: "json" as const })));
    return { event_id: eventId, deliveries: messages.length };
  }
}

async function handleChange(request: Request, env: Env, flag: string): Promise<Response> {
  const input = (await request.json()) as Partial<Change>;
  if (typeof input.enabled !== "boolean") return Response.json({ error: "enabled must be a boolean" }, { status: 400 });
  const change: Change = { flag, enabled: input.enabled, path: input.path ?? "/baseline", fanout: Math.min(Math.max(input.fanout ?? 1, 1), 100) };
  const result = await env.CHANGES.getByName("bench").change(change);
  return Response.json(result);
}

/** Claims the batch's attempts (a conditional update per delivery) and reads them back: one D1 batch. */
async function claim(db: D1Database, ids: string[]): Promise<Set<string>> {
  const results = await db.batch<{ id: string }>([
    ...ids.map((id) => db.prepare("UPDATE deliveries SET status = 'claimed' WHERE id = ?1 AND status = 'pending'").bind(id)),
    db.prepare("SELECT id FROM deliveries WHERE status = 'claimed' AND id IN (SELECT value FROM json_each(?1))").bind(JSON.stringify(ids)),
  ]);
  return new Set(results[ids.length].results.map((r) => r.id));
}

/** Logs the batch's attempts and settles their deliveries: one D1 batch. */
async function finish(db: D1Database, outcomes: { id: string; status: number }[]): Promise<void> {
  if (!outcomes.length) return;
  await db.batch(
    outcomes.flatMap(({ id, status }) => [
      db.prepare("INSERT OR IGNORE INTO attempts (delivery_id, number, status, started_at) VALUES (?1, 1, ?2, ?3)").bind(id, status, Date.now()),
      db.prepare("UPDATE deliveries SET status = 'succeeded' WHERE id = ?1 AND status = 'claimed'").bind(id),
    ]),
  );
}

/** POSTs one message to its receiver; answers the status, or null when the request failed. */
async function post({ id, url, body }: DeliveryMessage): Promise<number | null> {
  try {
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", "webhook-id": id }, body, redirect: "manual" });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return null;
  }
}

/**
 * `GET /unit/<call>?n=`: makes one platform call `n` times in a row, for `node bench/profile.mjs units`
 * (what one call costs the runtime): a D1 query, a D1 batch of five, a Durable Object RPC, a queue
 * send (its message acknowledged by the consumer, not posted), an outgoing POST to the receiver, and
 * timers: one that fires, one set and cleared, an AbortSignal.timeout.
 */
async function unitCalls(env: Env, call: string, n: number): Promise<Response> {
  const db = env.DB;
  const calls: Record<string, (i: number) => Promise<unknown>> = {
    d1: () => db.prepare("SELECT 1 AS one").first(),
    "d1-batch-of-5": () => db.batch([1, 2, 3, 4, 5].map(() => db.prepare("SELECT 1 AS one"))),
    rpc: (i) => env.CHANGES.getByName("unit").ping(i),
    // A message with no URL is acknowledged by the consumer without a POST.
    "queue-send": (i) => env.DELIVERIES.send({ id: crypto.randomUUID(), url: "", body: JSON.stringify({ i }) }, { contentType: "json" }),
    fetch: (i) => post({ id: String(i), url: `${env.RECEIVER_URL}/unit`, body: "{}" }),
    // A timer of 0 ms that fires, and one of 5 s that is set and cleared (as a request's time-out is).
    timer: () => new Promise((resolve) => setTimeout(resolve, 0)),
    "timer-cleared": async () => clearTimeout(setTimeout(() => undefined, 5000)),
    "abort-signal-timeout": async () => AbortSignal.timeout(5000),
  };
  const one = calls[call];
  if (!one) return Response.json({ error: `no such call; one of ${Object.keys(calls).join(", ")}` }, { status: 404 });
  for (let i = 0; i < n; i++) await one(i);
  return Response.json({ call, n });
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const match = /^\/flags\/([a-z0-9_-]{1,64})$/.exec(url.pathname);
    if (request.method === "PATCH" && match) return handleChange(request, env, match[1]);
    const unit = /^\/unit\/([a-z0-9-]+)$/.exec(url.pathname);
    if (request.method === "GET" && unit) return unitCalls(env, unit[1], Math.min(Number(url.searchParams.get("n") ?? 100), 5000));
    if (request.method === "GET") return new Response("ok");
    return new Response("not found", { status: 404 });
  },

  async queue(batch, env) {
    const log = env.CLAIM_AND_LOG === "true";
    // Messages of `GET /unit/queue-send` carry no URL: acknowledged, not posted.
    for (const m of batch.messages) if (m.body.url === "") m.ack();
    const messages = batch.messages.filter((m) => m.body.url !== "");
    const claimed = log
      ? await claim(
          env.DB,
          messages.map((m) => m.body.id),
        )
      : null;
    const outcomes: { id: string; status: number }[] = [];
    await Promise.all(
      messages.map(async (message) => {
        if (claimed && !claimed.has(message.body.id)) return message.ack();
        const status = await post(message.body);
        if (status === null) return message.retry();
        outcomes.push({ id: message.body.id, status });
        message.ack();
      }),
    );
    if (log) await finish(env.DB, outcomes);
  },
} satisfies ExportedHandler<Env, DeliveryMessage>;
