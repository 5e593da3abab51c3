// Scheduled changes across a restart: schedules due while the runtime is down (killed with SIGKILL)
// are applied after it comes back, each exactly once and in order, as D1 says. Nothing touches the
// project after the restart: the writer's alarm, kept in the object's storage, wakes it by itself
// (any first use would also re-arm it from D1's schedules).
import { sleep } from "../../bench/lib/local-runtime.mjs";

const SCHEDULES = 6;

async function restartWithSchedulesDue(ctx) {
  const name = "schedules-due-across-restart";
  const problems = [];
  const project = await ctx.api.createProject(`${name}-${Date.now().toString(36)}`);
  const flag = await ctx.api.createFlag(project.id, "launch");
  const base = (await ctx.api.call("GET", `/projects/${project.id}`, undefined, { expect: 200 })).body.revision;
  // Due 3 s from now, two per second: the kill lands before the first.
  const t0 = Date.now() + 3000;
  const made = [];
  for (let i = 0; i < SCHEDULES; i++) {
    const at = new Date(t0 + Math.floor(i / 2) * 1000).toISOString();
    const patch = { rollout_percentage: 10 * (i + 1) };
    made.push((await ctx.api.call("POST", `/projects/${project.id}/flags/${flag.key}/environments/production/schedules`, { at, patch }, { expect: 201 })).body);
  }
  await ctx.restart({ kill: true });
  const deadline = Date.now() + 30_000;
  let schedules = [];
  for (;;) {
    schedules = await ctx.api.all(`/projects/${project.id}/schedules`);
    if (schedules.every((s) => s.status !== "scheduled") || Date.now() > deadline) break;
    await sleep(200);
  }
  const late = Date.now() - (t0 + 2000);
  const byId = new Map(schedules.map((s) => [s.id, s]));
  const revisions = made.map((m) => byId.get(m.id)?.revision ?? null);
  if (made.some((m) => byId.get(m.id)?.status !== "applied")) problems.push(`not all applied: ${made.map((m) => byId.get(m.id)?.status).join(", ")}`);
  if (revisions.some((r, i) => i > 0 && (r === null || revisions[i - 1] === null || r <= revisions[i - 1])))
    problems.push(`not applied in creation order: revisions ${revisions.join(", ")}`);
  const project2 = (await ctx.api.call("GET", `/projects/${project.id}`, undefined, { expect: 200 })).body;
  if (project2.revision !== base + SCHEDULES)
    problems.push(`revision ${project2.revision}, expected ${base + SCHEDULES}: a schedule applied twice or not at all`);
  const events = await ctx.api.all(`/projects/${project.id}/events`);
  const perSchedule = new Map();
  for (const e of events) if (e.schedule_id) perSchedule.set(e.schedule_id, new Set([...(perSchedule.get(e.schedule_id) ?? []), e.revision]));
  for (const m of made) if (perSchedule.get(m.id)?.size !== 1) problems.push(`schedule ${m.id} made ${perSchedule.get(m.id)?.size ?? 0} revisions`);
  const state = (await ctx.api.call("GET", `/projects/${project.id}/flags/${flag.key}/environments/production`, undefined, { expect: 200 })).body;
  if (state.rollout_percentage !== 10 * SCHEDULES || state.version !== 1 + SCHEDULES) problems.push(`final state ${JSON.stringify(state)}`);
  const ok = problems.length === 0;
  return { ok, problems, line: `${ok ? "ok" : "FAIL"} ${name} schedules=${SCHEDULES} applied_after_due_ms=${late}` };
}

export const scheduleScenarios = [["schedules due across a runtime restart", restartWithSchedulesDue]];
