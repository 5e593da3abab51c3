// The world the delivery machine's model-based test (test/delivery-machine.test.ts) runs in: one
// project with two webhooks on the real module and the real D1, a queue whose messages the test
// holds (delivered, lost or duplicated on command), receivers played by a spy on fetch (each
// webhook's endpoint answers as the test says), and a clock the test moves (Date is faked, so the
// writer, the consumer and the retry clock all read the test's time; the alarm rings only when the
// test rings it). After every step the world checks the contract's invariants against what D1 holds.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { vi, type MockInstance } from "vitest";
import { attemptDeliveries } from "../src/deliveries/consumer";
import type { DeliveryMessage } from "../src/deliveries/lifecycle";
import { replaceQueueSender } from "../src/deliveries/queue";
import { pruneOlderThan } from "../src/deliveries/retention";
import { call, json, newFlag, newProject, newTenant, type Tenant } from "./helpers";

export type Mode = { kind: "ok" | "500" | "410" | "timeout" } | { kind: "429"; retryAfter: number };

/** The test runs with DELIVERY_TIMEOUT_MS=1500 (vitest.config.ts): a message is presumed lost after 10 s. */
const REQUEUE_AFTER_MS = 10_000;
const AUTO_DISABLE_MS = 432_000_000;
/** One retry step (the schedule's first): the contract's slack for "a clock will honour it". */
const STEP_MS = 60_000;
export const HOOKS = 2;

interface DeliveryRow {
  id: string;
  seq: number;
  webhook_id: string;
  event: string;
  status: string;
  held: number;
  attempt_count: number;
  next_attempt_at: number | null;
  enqueued_at: number | null;
  claimed_until: number | null;
  numbers: string | null;
}

interface HookRow {
  id: string;
  enabled: number;
  circuit: string;
  probe_delivery_id: string | null;
  failing_since: number | null;
  disabled_reason: string | null;
}

interface Snapshot {
  deliveries: DeliveryRow[];
  hooks: HookRow[];
  alarm: number | null;
}

/** The reference model: what the contract says the world must look like, in maps and arrays. */
export interface Model {
  now: number;
  /** Per webhook: enabled as its owner (or Flagpost, for a reason the model accepts) left it. */
  enabled: boolean[];
  modes: Mode[];
  /** Changes made while each webhook was enabled: each owes exactly one delivery. */
  owed: number[];
  /** Requests each delivery was sent, as the receivers saw them. */
  requests: Map<string, number>;
  /** Deliveries a person asked to attempt now, not attempted since. */
  asked: Set<string>;
}

export class InvariantBroken extends Error {}

/** Rules a focused exploration leaves aside (to see what else breaks behind the first rule broken). */
export const setAside = new Set<string>();

function broken(rule: string, detail: unknown): void {
  if (!setAside.has(rule)) throw new InvariantBroken(`${rule}: ${JSON.stringify(detail)}`);
}

export class World {
  tenant!: Tenant;
  projectId!: string;
  flagKey!: string;
  hookIds: string[] = [];
  hookPaths: string[] = [];
  queue: DeliveryMessage[] = [];
  model!: Model;
  private enabledFlag = false;
  private fetchSpy: MockInstance | null = null;
  /** Per action: requests to each webhook (by index), and whether they came from a test call. */
  private sentThisAction: { hook: number; deliveryId: string; test: boolean }[] = [];

  static async create(start: number): Promise<World> {
    const w = new World();
    vi.setSystemTime(start);
    w.model = {
      now: start,
      enabled: Array(HOOKS).fill(true),
      modes: Array(HOOKS).fill({ kind: "ok" }),
      owed: Array(HOOKS).fill(0),
      requests: new Map(),
      asked: new Set(),
    };
    w.tenant = await newTenant();
    w.projectId = (await newProject(w.tenant)).id;
    const run = crypto.randomUUID().slice(0, 8);
    for (let i = 0; i < HOOKS; i++) {
      const url = `${env.RECEIVER_URL}/model/${run}/w${i}`;
      const hook = await json(call(`/projects/${w.projectId}/webhooks`, { token: w.tenant.key, body: { name: `w${i}`, url, events: ["flag.toggled"] } }), 201);
      w.hookIds.push(hook.id);
      w.hookPaths.push(new URL(url).pathname);
    }
    w.flagKey = (await newFlag(w.tenant, w.projectId)).key;
    replaceQueueSender(async (_queue, messages) => void w.queue.push(...messages.map((m) => m.body)));
    w.fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => w.answer(input, init));
    return w;
  }

  close(): void {
    this.fetchSpy?.mockRestore();
    replaceQueueSender(null);
  }

  private async answer(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const hook = this.hookPaths.indexOf(url.pathname);
    if (hook < 0) throw new Error(`the model's world sent a request it does not know: ${url}`);
    const headers = new Headers(init?.headers);
    const deliveryId = headers.get("webhook-id") ?? "";
    this.model.requests.set(deliveryId, (this.model.requests.get(deliveryId) ?? 0) + 1);
    this.sentThisAction.push({ hook, deliveryId, test: headers.get("x-rollgate-event") === "webhook.test" });
    const mode = this.model.modes[hook];
    if (mode.kind === "timeout") throw new DOMException("The operation timed out.", "TimeoutError");
    if (mode.kind === "429") return new Response("slow down", { status: 429, headers: { "retry-after": String(mode.retryAfter) } });
    return new Response(mode.kind === "ok" ? "ok" : "no", { status: mode.kind === "ok" ? 200 : Number(mode.kind) });
  }

  // ---- Time and the queue ----------------------------------------------------------------------

  private setNow(at: number): void {
    this.model.now = Math.max(this.model.now, at);
    vi.setSystemTime(this.model.now);
  }

  async alarm(): Promise<number | null> {
    return runInDurableObject(env.PROJECTS.getByName(this.projectId), (_i, state) => state.storage.getAlarm());
  }

  /** The alarm rings (it must be due): one action, checked like every other. */
  private async ring(): Promise<void> {
    await this.action(async () => {
      await runDurableObjectAlarm(env.PROJECTS.getByName(this.projectId));
    });
  }

  /** The consumer gets the first `n` held messages as one batch. */
  async deliver(n = Infinity): Promise<void> {
    while (this.queue.length && n > 0) {
      const batch = this.queue.splice(0, Math.min(n, 50));
      n -= batch.length;
      await this.action(() => attemptDeliveries(env, batch).then(() => undefined));
    }
  }

  /** Time passes by `ms`: the queue delivers promptly, and the alarm rings whenever it is due. */
  async tick(ms: number): Promise<void> {
    const target = this.model.now + ms;
    for (let i = 0; i < 200; i++) {
      await this.deliver();
      const alarm = await this.alarm();
      if (alarm === null || alarm > target) break;
      this.setNow(alarm);
      await this.ring();
    }
    this.setNow(target);
    const now = await this.snapshot();
    await this.check(now, now);
  }

  // ---- What people do --------------------------------------------------------------------------

  async change(times: number): Promise<void> {
    const before = await this.snapshot();
    const maxSeq = (hook: number) => Math.max(0, ...before.deliveries.filter((d) => d.webhook_id === this.hookIds[hook]).map((d) => d.seq));
    const seqs = this.hookIds.map((_, i) => maxSeq(i));
    for (let i = 0; i < times; i++) {
      this.enabledFlag = !this.enabledFlag;
      const res = await call(`/projects/${this.projectId}/flags/${this.flagKey}/environments/production`, {
        token: this.tenant.key,
        method: "PATCH",
        body: { enabled: this.enabledFlag },
      });
      if (res.status !== 200) throw new Error(`a change answered ${res.status}: ${await res.text()}`);
    }
    const after = await this.snapshot();
    this.hookIds.forEach((id, hook) => {
      const made = after.deliveries.filter((d) => d.webhook_id === id && d.seq > seqs[hook]).length;
      const owed = this.model.enabled[hook] ? times : 0;
      this.model.owed[hook] += owed;
      if (made !== owed)
        broken("one delivery per change for each enabled webhook, none while disabled", { hook, enabled: this.model.enabled[hook], made, owed });
    });
    await this.check(before, after);
  }

  async test(hook: number): Promise<void> {
    let sent = false;
    await this.action(async () => {
      const res = await call(`/projects/${this.projectId}/webhooks/${this.hookIds[hook]}/test`, { token: this.tenant.key, method: "POST" });
      if (res.status !== 200) throw new Error(`a test answered ${res.status}: ${await res.text()}`);
      await res.text();
      sent = this.sentThisAction.some((s) => s.hook === hook && s.test);
    });
    if (!sent) broken("a test call is attempted at once", { hook });
  }

  /** "Attempt now" on the k-th delivery of the webhook; a 202 must lead to a request once the queue delivers. */
  async redeliver(hook: number, k: number): Promise<void> {
    const list = (await this.snapshot()).deliveries.filter((d) => d.webhook_id === this.hookIds[hook] && d.event !== "webhook.test");
    if (list.length === 0) return;
    const target = list[k % list.length];
    let status = 0;
    // Asked from the moment of the request: taking it out of the backlog is no release of the drain's.
    this.model.asked.add(target.id);
    await this.action(async () => {
      const res = await call(`/projects/${this.projectId}/webhooks/${this.hookIds[hook]}/deliveries/${target.id}/redeliver`, {
        token: this.tenant.key,
        method: "POST",
      });
      status = res.status;
      await res.text();
    });
    if (status !== 202) {
      this.model.asked.delete(target.id);
      if (status === 409 && !this.model.enabled[hook]) return; // refused on a disabled webhook
      broken("redeliver answers 202 (nothing is in flight here)", { status, hook, target: target.id });
    }
    const sent = this.model.requests.get(target.id) ?? 0;
    await this.deliver();
    if ((this.model.requests.get(target.id) ?? 0) !== sent + 1)
      broken("a redelivery (202) is attempted at once, whatever the circuit", { hook, target: target.id, requests: sent });
  }

  async recover(hook: number): Promise<void> {
    await this.action(async () => {
      const res = await call(`/projects/${this.projectId}/webhooks/${this.hookIds[hook]}/recover`, {
        token: this.tenant.key,
        body: { since: new Date(0).toISOString() },
      });
      await res.text();
      if (res.status !== 202 && !(res.status === 409 && !this.model.enabled[hook])) broken("recover answers 202", { status: res.status, hook });
    });
  }

  async setEnabled(hook: number, enabled: boolean): Promise<void> {
    this.model.enabled[hook] = enabled;
    await this.action(async () => {
      const res = await call(`/projects/${this.projectId}/webhooks/${this.hookIds[hook]}`, { token: this.tenant.key, method: "PATCH", body: { enabled } });
      if (res.status !== 200) throw new Error(`PATCH enabled answered ${res.status}`);
      await res.text();
    });
  }

  async retention(): Promise<void> {
    await this.action(() => pruneOlderThan(env.DB, this.model.now + 1).then(() => undefined));
  }

  lose(i: number): void {
    if (this.queue.length) this.queue.splice(i % this.queue.length, 1);
  }

  duplicate(i: number): void {
    if (this.queue.length) this.queue.push(this.queue[i % this.queue.length]);
  }

  /** Everything arrives: endpoints answer, the queue delivers, time passes until nothing is pending. */
  async settle(): Promise<void> {
    this.model.modes = this.model.modes.map(() => ({ kind: "ok" }));
    for (let i = 0; i < 12; i++) {
      const pending = (await this.snapshot()).deliveries.filter((d) => d.status === "pending");
      if (pending.length === 0) return;
      await this.tick(13 * 3600_000);
    }
    const left = (await this.snapshot()).deliveries.filter((d) => d.status === "pending");
    if (left.length)
      broken(
        "every pending delivery ends once its endpoint answers and time passes",
        left.map((d) => ({ id: d.id, held: d.held, next: d.next_attempt_at })),
      );
  }

  // ---- The invariants --------------------------------------------------------------------------

  async snapshot(): Promise<Snapshot> {
    const ids = JSON.stringify(this.hookIds);
    const [deliveries, hooks] = await env.DB.batch<any>([
      env.DB.prepare(
        `SELECT d.id, d.seq, d.webhook_id, d.event, d.status, d.held, d.attempt_count, d.next_attempt_at, d.enqueued_at, d.claimed_until,
                (SELECT group_concat(number) FROM (SELECT number FROM attempts a WHERE a.delivery_id = d.id ORDER BY number)) AS numbers
         FROM deliveries d WHERE d.webhook_id IN (SELECT value FROM json_each(?1)) ORDER BY d.seq`,
      ).bind(ids),
      env.DB.prepare(
        "SELECT id, enabled, circuit, probe_delivery_id, failing_since, disabled_reason FROM webhooks WHERE id IN (SELECT value FROM json_each(?1))",
      ).bind(ids),
    ]);
    return { deliveries: deliveries.results as DeliveryRow[], hooks: hooks.results as HookRow[], alarm: await this.alarm() };
  }

  /** Runs one action (a consumer batch, a ring, an API call) and checks the invariants around it. */
  private async action(fn: () => Promise<void>): Promise<void> {
    const before = await this.snapshot();
    this.sentThisAction = [];
    await fn();
    const after = await this.snapshot();
    this.checkSent(before);
    await this.check(before, after);
  }

  /** At most one probe attempted per open circuit; nothing but a test reaches a disabled webhook. */
  private checkSent(before: Snapshot): void {
    this.hookIds.forEach((id, hook) => {
      const w = before.hooks.find((h) => h.id === id)!;
      const sent = this.sentThisAction.filter((s) => s.hook === hook && !s.test && !this.model.asked.has(s.deliveryId));
      if (w.circuit === "open" && w.enabled && sent.length > 1) broken("at most one probe per open circuit", { hook, sent: sent.length });
      const all = this.sentThisAction.filter((s) => s.hook === hook && !s.test);
      if (!w.enabled && all.length) broken("no attempt of a disabled webhook starts", { hook, sent: all.length });
    });
    for (const s of this.sentThisAction) this.model.asked.delete(s.deliveryId);
  }

  private async check(before: Snapshot, after: Snapshot): Promise<void> {
    const now = this.model.now;
    const byId = new Map(after.deliveries.map((d) => [d.id, d]));
    const dueAt = (d: DeliveryRow) => Math.max(d.next_attempt_at ?? 0, d.enqueued_at === null ? 0 : d.enqueued_at + REQUEUE_AFTER_MS, d.claimed_until ?? 0);
    const clocked = (d: DeliveryRow) => !d.held && d.next_attempt_at !== null && after.alarm !== null && after.alarm <= dueAt(d);
    for (const d of after.deliveries) {
      // Every attempt logged exactly once, numbered 1…n, and each sent once.
      const expected = Array.from({ length: d.attempt_count }, (_, i) => i + 1).join(",");
      if ((d.numbers ?? "") !== expected) broken("every attempt logged exactly once", { id: d.id, attempts: d.attempt_count, logged: d.numbers });
      const sent = this.model.requests.get(d.id) ?? 0;
      if (sent !== d.attempt_count) broken("no attempt number sent twice (requests = logged attempts)", { id: d.id, sent, logged: d.attempt_count });
      if (d.status !== "pending") continue;
      const w = after.hooks.find((h) => h.id === d.webhook_id)!;
      if (!w.enabled) broken("a disabled webhook has nothing waiting", { id: d.id, hook: this.hookIds.indexOf(w.id) });
      if (!d.held) {
        if (!clocked(d))
          broken("a pending delivery has a due time that a clock will honour", {
            id: d.id,
            next: d.next_attempt_at,
            enqueued: d.enqueued_at,
            claimed: d.claimed_until,
            alarm: after.alarm,
            now,
          });
        continue;
      }
      const lead =
        w.circuit === "open"
          ? byId.get(w.probe_delivery_id ?? "")
          : after.deliveries.find((p) => p.webhook_id === w.id && p.status === "pending" && clocked(p));
      const live = (w.circuit === "open" || w.circuit === "draining") && lead !== undefined && lead.status === "pending" && clocked(lead);
      if (!live)
        broken("a held delivery waits behind a live probe (or drain)", {
          id: d.id,
          circuit: w.circuit,
          probe: w.probe_delivery_id,
          lead: lead && { status: lead.status, held: lead.held, next: lead.next_attempt_at },
        });
    }
    // The drain (and a probe's hand-off) releases the oldest waiting delivery, one at a time.
    for (const id of this.hookIds) {
      const heldBefore = before.deliveries.filter((d) => d.webhook_id === id && d.held && d.status === "pending");
      const released = heldBefore.filter((d) => !this.model.asked.has(d.id) && byId.get(d.id) && !byId.get(d.id)!.held && byId.get(d.id)!.status === "pending");
      const stillHeld = after.deliveries.filter((d) => d.webhook_id === id && d.held && d.status === "pending");
      if (released.length > 1) broken("the backlog is released one at a time", { hook: this.hookIds.indexOf(id), released: released.length });
      if (released.length === 1 && stillHeld.some((d) => d.seq < released[0].seq))
        broken("the backlog is released oldest first", { hook: this.hookIds.indexOf(id) });
    }
    // Auto-disable is judged by the clock: never later than one retry step past the deadline.
    after.hooks.forEach((w) => {
      const hook = this.hookIds.indexOf(w.id);
      if (w.enabled && w.failing_since !== null && now >= w.failing_since + AUTO_DISABLE_MS + STEP_MS)
        broken("a webhook failing for WEBHOOK_AUTO_DISABLE_SECONDS is disabled", { hook, failingSince: w.failing_since, now });
      if (!w.enabled && this.model.enabled[hook]) {
        // Flagpost disabled it: for 410, or failing past the deadline.
        const ok = w.disabled_reason === "gone" || (w.disabled_reason === "failing" && w.failing_since !== null && now >= w.failing_since + AUTO_DISABLE_MS);
        if (!ok) broken("Flagpost disables a webhook only for 410 or failing too long", { hook, reason: w.disabled_reason });
        this.model.enabled[hook] = false;
      }
    });
  }
}
