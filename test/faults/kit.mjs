// What every fault scenario needs: its own project, flags and webhooks pointed at the receiver, a way
// to make N real changes, and the closing audit with its summary line.
import { audit, settle, summaryLine } from "./audit.mjs";

/**
 * A project named after the scenario with `flags` flags and one webhook per receiver spec
 * (e.g. "status/500/2"), each subscribed to flag.toggled at `<receiver>/<name>/<spec>/w<i>`.
 */
export async function project(ctx, name, specs, { flags = 4, receiverUrl = ctx.receiver.url } = {}) {
  const { id } = await ctx.api.createProject(name);
  const keys = Array.from({ length: flags }, (_, i) => `f${i}`);
  for (const key of keys) await ctx.api.createFlag(id, key);
  const webhooks = [];
  for (const [i, spec] of specs.entries()) {
    const hook = await ctx.api.createWebhook(id, `${receiverUrl}/${name}/${spec}/w${i}`, { name: `${name} ${spec}` });
    webhooks.push(hook);
  }
  const state = new Map(keys.map((k) => [k, false]));

  /** `count` toggles, round-robin over the flags, `concurrency` at a time (never two on one flag). */
  async function toggle(count, { concurrency = 1 } = {}) {
    let accepted = 0;
    let next = 0;
    const lanes = Math.min(concurrency, keys.length);
    const lane = async (l) => {
      const own = keys.filter((_, k) => k % lanes === l);
      for (let j = 0; ; j++) {
        if (next++ >= count) return;
        const key = own[j % own.length];
        const enabled = !state.get(key);
        const res = await ctx.api.toggle(id, key, enabled);
        state.set(key, enabled);
        if (res.status === 200) accepted++;
      }
    };
    await Promise.all(Array.from({ length: lanes }, (_, l) => lane(l)));
    return accepted;
  }

  return { id, webhooks, toggle };
}

/** Waits for every delivery of the project to end, audits it and answers the summary line. */
export async function finish(ctx, name, p, { changes, settleMs = 60_000, unseen, unlogged, extra = {}, problems = [] }) {
  await settle(ctx.api, p.id, p.webhooks, settleMs);
  const result = await audit({ api: ctx.api, projectId: p.id, webhooks: p.webhooks, receiver: ctx.receiver, changes, unseen, unlogged });
  const all = [...problems, ...result.problems];
  return { ok: all.length === 0, line: summaryLine(name, all.length === 0, result.counts, extra), problems: all };
}

/** The deliveries of a webhook with the given status (all pages). */
export const deliveriesOf = (ctx, p, webhook, status) => ctx.api.all(`/projects/${p.id}/webhooks/${webhook.id}/deliveries${status ? `?status=${status}` : ""}`);

/** Calls a fault-injection route (test/faults/fault-routes.ts) with the admin token. */
export async function fault(ctx, route, body) {
  const res = await ctx.admin.call("POST", `/admin/_faults/${route}`, body, { expect: 200 });
  return res.body;
}
