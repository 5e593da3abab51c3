// Test-only fault injection, for `npm run test:faults` (test/faults/). These routes are no part of
// Flagpost: the fault runner serves them from its own entry (test/faults/worker.ts), which adds them
// to the app; the Worker that is deployed is built from src/index.ts and has no trace of them. It lets the fault suite make
// the failures Flagpost must survive happen on demand: a queue message delivered twice, a queue send
// that fails (or is lost) after the change committed, a project's alarm firing twice at once.
//
// Off unless the Worker runs with the var FAULT_INJECTION = "true", which only the fault runner
// passes (`wrangler dev --var FAULT_INJECTION:true`); no wrangler.toml environment sets it (the
// deploy drift test checks [env.production]). Even then every route takes the admin token. Without
// the var the routes answer 404, as if absent, and nothing here can reach the delivery path: the
// faulty queue sender is installed only by a call to these routes, so production sends never
// consult a fault switch.
import { Hono, type Context } from "hono";
import { requireAdmin } from "../../src/auth/middleware";
import { clockOf, requeueAfterMs, RetryClock, type ClockStorage } from "../../src/deliveries/clock";
import type { DeliveryMessage } from "../../src/deliveries/lifecycle";
import { replaceQueueSender } from "../../src/deliveries/queue";
import { pruneOlderThan } from "../../src/deliveries/retention";
import { readSettings } from "../../src/kernel/env";
import { AppError } from "../../src/kernel/errors";
import type { AppEnv } from "../../src/kernel/app-env";

/** What the next queue sends do: `fail` ones throw, `drop` ones are silently lost. Module state of
 *  this isolate, shared with the ProjectDO instances it hosts (the local runtime runs both in one). */
const sendFaults = { fail: 0, drop: 0 };

function installFaultySender(): void {
  replaceQueueSender(async (queue, messages) => {
    if (sendFaults.fail > 0) {
      sendFaults.fail--;
      throw new Error("injected fault: the queue send failed");
    }
    if (sendFaults.drop > 0) {
      sendFaults.drop--;
      return;
    }
    await queue.sendBatch(messages);
  });
}

/** A clock's storage that keeps its alarm to itself: the extra rings below must not re-arm the real one. */
function detachedStorage(): ClockStorage {
  let alarm: number | null = null;
  const kept = new Map<string, unknown>();
  return {
    getAlarm: async () => alarm,
    setAlarm: async (at) => {
      alarm = at;
    },
    get: async <T>(key: string) => kept.get(key) as T | undefined,
    put: async <T>(key: string, value: T) => void kept.set(key, value),
  };
}

function faultsEnabled(env: Env): boolean {
  return (env as unknown as Record<string, string | undefined>).FAULT_INJECTION === "true";
}

async function jsonBody<T>(c: Context<AppEnv>): Promise<T> {
  return (await c.req.json().catch(() => ({}))) as T;
}

const count = (n: unknown, max: number) => (Number.isInteger(n) && (n as number) >= 0 ? Math.min(n as number, max) : 0);

export function faultRoutes() {
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    if (!faultsEnabled(c.env)) throw new AppError("not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`);
    return next();
  });
  app.use("*", requireAdmin);

  /** {fail?, drop?}: how many of the next queue sends fail or are lost. */
  app.post("/queue-sends", async (c) => {
    const body = await jsonBody<{ fail?: number; drop?: number }>(c);
    sendFaults.fail = count(body.fail, 10_000);
    sendFaults.drop = count(body.drop, 10_000);
    installFaultySender();
    return c.json({ ...sendFaults });
  });

  app.get("/queue-sends", (c) => c.json({ ...sendFaults }));

  /** {messages: [{delivery_id, attempt}], copies}: sends each message `copies` more times. */
  app.post("/requeue", async (c) => {
    const body = await jsonBody<{ messages?: DeliveryMessage[]; copies?: number }>(c);
    const messages = (body.messages ?? []).map((m) => ({ delivery_id: String(m.delivery_id), attempt: Number(m.attempt) }));
    const copies = Math.max(1, count(body.copies, 10));
    const all = Array.from({ length: copies }, () => messages).flat();
    for (let i = 0; i < all.length; i += 100) {
      await c.env.DELIVERIES.sendBatch(all.slice(i, i + 100).map((m) => ({ body: m, contentType: "json" as const })));
    }
    return c.json({ sent: all.length });
  });

  /**
   * {project_id, times}: the project's alarm, several times at once. Its handler cannot be called
   * over RPC, so this arms the real alarm for now and runs `times` copies of the alarm's sweep
   * beside it, in this invocation: what an alarm delivered more than once would do.
   */
  app.post("/alarm", async (c) => {
    const body = await jsonBody<{ project_id?: string; times?: number }>(c);
    if (!body.project_id) throw new AppError("validation_failed", "project_id is required");
    const projectId = body.project_id;
    const times = Math.max(1, count(body.times, 10));
    const requeueAfter = requeueAfterMs(readSettings(c.env).deliveryTimeoutMs);
    await Promise.all([
      clockOf(c.env, projectId).armRetry(Date.now()),
      ...Array.from({ length: times }, () => new RetryClock(detachedStorage(), c.env, requeueAfter).ring(projectId)),
    ]);
    return c.json({ fired: times + 1 });
  });

  /**
   * {project_id, flag_key}: changes the flag's rows in D1 behind its writer's back (as a restore or a
   * manual fix would), so the writer's next commit of that flag fails in the middle of its batch.
   */
  app.post("/stale-flag", async (c) => {
    const body = await jsonBody<{ project_id?: string; flag_key?: string }>(c);
    const flag = await c.env.DB.prepare("SELECT id FROM flags WHERE project_id = ? AND key = ?")
      .bind(String(body.project_id), String(body.flag_key))
      .first<{ id: string }>();
    if (!flag) throw new AppError("not_found", "no such flag");
    await c.env.DB.batch([
      c.env.DB.prepare("UPDATE flags SET version = version + 100 WHERE id = ?").bind(flag.id),
      c.env.DB.prepare("UPDATE flag_states SET version = version + 100 WHERE flag_id = ?").bind(flag.id),
    ]);
    return c.json({ flag_id: flag.id });
  });

  /** {webhook_id}: the webhook's secret becomes one that no key of the keyring opens. */
  app.post("/spoil-secret", async (c) => {
    const body = await jsonBody<{ webhook_id?: string }>(c);
    const { meta } = await c.env.DB.prepare("UPDATE webhooks SET secret = 'spoiled:not-a-sealed-secret' WHERE id = ?").bind(String(body.webhook_id)).run();
    return c.json({ changed: meta.changes });
  });

  /** {broken}: D1 fails every statement on deliveries (the table is renamed away) until repaired. */
  app.post("/deliveries-table", async (c) => {
    const { broken } = await jsonBody<{ broken?: boolean }>(c);
    await c.env.DB.prepare(broken ? "ALTER TABLE deliveries RENAME TO deliveries_away" : "ALTER TABLE deliveries_away RENAME TO deliveries").run();
    return c.json({ broken: Boolean(broken) });
  });

  /**
   * {webhook_id, count}: `count` (at most 50,000) failed deliveries of the webhook's latest event, as a
   * long outage and a disabled webhook leave them (no attempt made), for recover to bring back.
   */
  app.post("/failed-deliveries", async (c) => {
    const body = await jsonBody<{ webhook_id?: string; count?: number }>(c);
    const { meta } = await c.env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
       INSERT INTO deliveries (id, webhook_id, org_id, project_id, event_id, event, format, status, attempt_count, final, created_at, completed_at, error)
       SELECT lower(hex(randomblob(16))), w.id, w.org_id, w.project_id, e.id, e.event, w.format, 'failed', 0, 0, ?3, ?3, 'webhook disabled'
       FROM n, webhooks w JOIN events e ON e.project_id = w.project_id AND e.seq = (SELECT MAX(seq) FROM events WHERE project_id = w.project_id)
       WHERE w.id = ?1`,
    )
      .bind(String(body.webhook_id), count(body.count, 50_000), Date.now())
      .run();
    return c.json({ inserted: meta.changes });
  });

  /** {}: retention now, with everything finished counting as old. */
  app.post("/retention", async (c) => c.json(await pruneOlderThan(c.env.DB, Date.now() + 1)));
  return app;
}
