// Dry runs (CONTRACT.md v1.1, "Receivers' toolkit"): every flag write with ?dry_run=true answers what
// it would do and stores, bumps and sends nothing. Each kind of write is checked the same way: D1 is
// unchanged after the dry run, the real write done next delivers to exactly the webhooks the dry run
// named (event by event), its events are the ones the dry run described, and the receiver gets the
// real write's deliveries and nothing else.
import { describe, expect, it } from "vitest";
import { DryRunDeletionSchema, DryRunFlagSchema, DryRunFlagStateSchema } from "../src/projects/dry-run-schemas";
import { FlagSchema, FlagStateSchema } from "../src/flags/schemas";
import { ADMIN_TOKEN, badFields, call, env, expectError, getFlag, json, listEvents, newFlag, newProject, newTenant, setup, type Tenant } from "./helpers";
import { eventually, newWebhook, received, receiverUrl } from "./webhook-helpers";

interface Hook {
  id: string;
  url: string;
}

/** A project with webhooks that each filter differently, and one elsewhere that must never match. */
async function world() {
  const { tenant, project } = await setup();
  const other = await newProject(tenant);
  const hook = async (projectId: string | null, body: Record<string, unknown>): Promise<Hook> => {
    const url = receiverUrl("ok");
    const created = await newWebhook(tenant, projectId, { url, ...body });
    return { id: created.id, url };
  };
  const hooks = {
    everything: await hook(project.id, { name: "everything" }),
    productionToggles: await hook(project.id, { name: "production toggles", events: ["flag.toggled"], environments: ["production"], format: "tggl" }),
    development: await hook(project.id, { name: "development", events: ["flag.toggled", "flag_state.updated"], environments: ["development"] }),
    organization: await hook(null, { name: "organization", events: ["flag.created", "flag.deleted", "flag.toggled"], format: "slack" }),
    disabled: await hook(project.id, { name: "disabled", enabled: false }),
    otherProject: await hook(other.id, { name: "other project" }),
  };
  return { tenant, project, hooks };
}

type World = Awaited<ReturnType<typeof world>>;

async function rows(sql: string, ...binds: unknown[]) {
  return (
    await env.DB.prepare(sql)
      .bind(...binds)
      .all()
  ).results;
}

/** Everything a write could store or bump, read from D1 itself. */
async function stored(w: World) {
  return {
    project: await rows("SELECT revision FROM projects WHERE id = ?", w.project.id),
    flags: await rows("SELECT * FROM flags WHERE project_id = ? ORDER BY id", w.project.id),
    states: await rows(
      "SELECT s.* FROM flag_states s JOIN flags f ON f.id = s.flag_id WHERE f.project_id = ? ORDER BY s.flag_id, s.environment_id",
      w.project.id,
    ),
    events: await rows("SELECT id FROM events WHERE org_id = ? ORDER BY seq", w.tenant.orgId),
    // Which deliveries exist and what each is for; their progress is the consumer's, still under way
    // for the setup's own changes while a test runs.
    deliveries: await rows("SELECT id, event_id, webhook_id FROM deliveries WHERE org_id = ? ORDER BY id", w.tenant.orgId),
  };
}

/** The real write's deliveries, as `<event>@<environment key>` → webhook ids, in commit order. */
async function deliveriesOfRevision(w: World, revision: number) {
  const found = await rows(
    `SELECT e.event, env.key AS env, d.webhook_id, d.id FROM deliveries d JOIN events e ON e.id = d.event_id
     LEFT JOIN environments env ON env.id = e.environment_id
     WHERE e.project_id = ? AND e.revision = ? ORDER BY e.seq, d.rowid`,
    w.project.id,
    revision,
  );
  return found as { event: string; env: string | null; webhook_id: string; id: string }[];
}

async function revisionOf(w: World): Promise<number> {
  return (await json(call(`/projects/${w.project.id}`, { token: w.tenant.key }), 200)).revision;
}

interface Write {
  path: string;
  method: string;
  body?: unknown;
  headers?: Record<string, string>;
}

function send(w: World, write: Write, dryRun: boolean) {
  const path = dryRun ? `${write.path}${write.path.includes("?") ? "&" : "?"}dry_run=true` : write.path;
  return call(path, { token: w.tenant.key, method: write.method, body: write.body, headers: write.headers });
}

/**
 * The dry run, then the real write, and every comparison between them. Answers the dry run's body
 * and the real answer (null for a 204).
 */
async function dryThenReal(w: World, write: Write, realStatus: number) {
  const before = await stored(w);
  const dry = await json(send(w, write, true), 200);
  expect(await stored(w), "a dry run stores nothing").toEqual(before);

  const real = await json(send(w, write, false), realStatus);
  const revision = await revisionOf(w);
  expect(revision).toBe((before.project[0] as { revision: number }).revision + 1);

  // The same events, in the same order, as the change log shows them.
  const logged = (await listEvents(w.tenant, w.project.id)).filter((e) => e.revision === revision).reverse();
  expect(dry.events.map((e: any) => [e.event, e.environment?.key ?? null])).toEqual(logged.map((e) => [e.event, e.environment?.key ?? null]));
  dry.events.forEach((e: any, i: number) => {
    expect(e.code_like_before).toBe(logged[i].code_like_before);
    expect(e.code_like_after).toBe(logged[i].code_like_after);
    expect(e.changes).toEqual(logged[i].changes);
  });

  // Exactly the webhooks the real write delivered to, event by event.
  const delivered = await deliveriesOfRevision(w, revision);
  const byEvent = (list: { key: string; webhook: string }[]) => list.map((d) => `${d.key} → ${d.webhook}`);
  expect(
    byEvent(dry.events.flatMap((e: any) => e.webhooks.map((h: any) => ({ key: `${e.event}@${e.environment?.key ?? null}`, webhook: h.id })))).sort(),
  ).toEqual(byEvent(delivered.map((d) => ({ key: `${d.event}@${d.env}`, webhook: d.webhook_id }))).sort());

  // What reaches the receiver is exactly the webhook's delivery rows (this write's and the fixtures'):
  // nothing arrives for the dry run, which made none.
  for (const hook of Object.values(w.hooks)) {
    const ids = (await rows("SELECT id FROM deliveries WHERE webhook_id = ?", hook.id)).map((r) => (r as { id: string }).id);
    expect(ids).toEqual(expect.arrayContaining(delivered.filter((d) => d.webhook_id === hook.id).map((d) => d.id)));
    const arrived = await eventually(async () => {
      const got = await received(hook.url);
      expect(got.length).toBeGreaterThanOrEqual(ids.length);
      return got;
    });
    expect(arrived.map((r) => r.headers["x-rollgate-delivery"]).sort()).toEqual([...ids].sort());
  }
  return { dry, real, delivered };
}

function names(w: World, ids: string[]): string[] {
  const byId = new Map(Object.entries(w.hooks).map(([name, h]) => [h.id, name]));
  return ids.map((id) => byId.get(id) ?? id);
}

function hooksPerEvent(w: World, dry: any): Record<string, string[]> {
  return Object.fromEntries(
    dry.events.map((e: any) => [
      `${e.event}@${e.environment?.key ?? "-"}`,
      names(
        w,
        e.webhooks.map((h: any) => h.id),
      ),
    ]),
  );
}

describe("dry run of each flag write", () => {
  it("create: the flag as it would be, flag.created for the matching webhooks, and nothing stored or sent", async () => {
    const w = await world();
    const input = { key: "new-checkout", name: "New Checkout", tags: ["web"] };
    const { dry, real } = await dryThenReal(w, { path: `/projects/${w.project.id}/flags`, method: "POST", body: input }, 201);
    DryRunFlagSchema.strict().parse(dry);
    expect(hooksPerEvent(w, dry)).toEqual({ "flag.created@-": ["everything", "organization"] });
    // Ids a dry run makes up are not reserved; everything else is what the real create stored.
    const withoutIds = (f: any) => ({
      ...f,
      id: undefined,
      created_at: undefined,
      updated_at: undefined,
      variations: f.variations.map((v: any) => ({ ...v, id: undefined })),
      environments: Object.keys(f.environments),
    });
    expect(withoutIds(FlagSchema.parse(dry.result))).toEqual(withoutIds(real));
    expect(dry.events[0].webhooks.find((h: any) => h.id === w.hooks.organization.id)).toEqual({
      id: w.hooks.organization.id,
      name: "organization",
      format: "slack",
    });
  });

  it("PATCH: the whole flag as it would be and flag.updated, and nothing stored or sent", async () => {
    const w = await world();
    const flag = await newFlag(w.tenant, w.project.id);
    const write = { path: `/projects/${w.project.id}/flags/${flag.key}`, method: "PATCH", body: { name: "Renamed", tags: ["a", "b"], version: flag.version } };
    const { dry, real } = await dryThenReal(w, write, 200);
    DryRunFlagSchema.strict().parse(dry);
    expect(hooksPerEvent(w, dry)).toEqual({ "flag.updated@-": ["everything"] });
    expect({ ...dry.result, updated_at: undefined }).toEqual({ ...real, updated_at: undefined });
    expect(dry.result.version).toBe(flag.version + 1);
  });

  it("DELETE: a null result and flag.deleted, and the flag still there", async () => {
    const w = await world();
    const flag = await newFlag(w.tenant, w.project.id);
    const { dry, real } = await dryThenReal(
      w,
      { path: `/projects/${w.project.id}/flags/${flag.key}`, method: "DELETE", headers: { "if-match": String(flag.version) } },
      204,
    );
    DryRunDeletionSchema.strict().parse(dry);
    expect(real).toBeNull();
    expect(dry.result).toBeNull();
    expect(hooksPerEvent(w, dry)).toEqual({ "flag.deleted@-": ["everything", "organization"] });
  });

  it("state PATCH: the state as it would be, both events of a double change, each with its own webhooks", async () => {
    const w = await world();
    const flag = await newFlag(w.tenant, w.project.id);
    const write = {
      path: `/projects/${w.project.id}/flags/${flag.key}/environments/production`,
      method: "PATCH",
      body: { enabled: true, rollout_percentage: 40, version: 1 },
    };
    const { dry, real } = await dryThenReal(w, write, 200);
    DryRunFlagStateSchema.strict().parse(dry);
    expect(dry.result).toEqual(FlagStateSchema.parse(real));
    expect(dry.result.version).toBe(2);
    expect(hooksPerEvent(w, dry)).toEqual({
      "flag.toggled@production": ["everything", "productionToggles", "organization"],
      "flag_state.updated@production": ["everything"],
    });
  });

  it("state PATCH in another environment reaches the webhooks filtered to it", async () => {
    const w = await world();
    const flag = await newFlag(w.tenant, w.project.id);
    const write = { path: `/projects/${w.project.id}/flags/${flag.key}/environments/development`, method: "PATCH", body: { enabled: true } };
    const { dry } = await dryThenReal(w, write, 200);
    expect(hooksPerEvent(w, dry)).toEqual({ "flag.toggled@development": ["everything", "development", "organization"] });
  });
});

describe("dry run refusals and edge cases", () => {
  it("a stale version gets 409 on PATCH, DELETE and state PATCH, and a taken key 409 on create, with nothing stored", async () => {
    const w = await world();
    const flag = await newFlag(w.tenant, w.project.id);
    const second = await newFlag(w.tenant, w.project.id);
    const before = await stored(w);
    const base = `/projects/${w.project.id}/flags/${flag.key}`;
    const stale: Write[] = [
      { path: base, method: "PATCH", body: { name: "x", version: flag.version + 1 } },
      { path: base, method: "PATCH", body: { name: "x" }, headers: { "if-match": `"${flag.version + 5}"` } },
      { path: base, method: "DELETE", headers: { "if-match": "7" } },
      { path: `${base}/environments/production`, method: "PATCH", body: { enabled: true, version: 2 } },
    ];
    for (const write of stale) await expectError(send(w, write, true), 409, "version_conflict");
    await expectError(send(w, { path: `/projects/${w.project.id}/flags`, method: "POST", body: { key: flag.key, name: "Again" } }, true), 409, "conflict");
    await expectError(send(w, { path: base, method: "PATCH", body: { key: second.key } }, true), 409, "conflict");
    expect(await stored(w)).toEqual(before);
  });

  it("answers every other refusal exactly as the real write does: 404, 409, 422, 400", async () => {
    const w = await world();
    const flag = await newFlag(w.tenant, w.project.id);
    const second = await newFlag(w.tenant, w.project.id);
    const base = `/projects/${w.project.id}/flags`;
    const state = `${base}/${flag.key}/environments/production`;
    const cases: [string, Write, number, string][] = [
      ["unknown flag (PATCH)", { path: `${base}/nope`, method: "PATCH", body: { name: "x" } }, 404, "not_found"],
      ["unknown flag (DELETE)", { path: `${base}/nope`, method: "DELETE" }, 404, "not_found"],
      ["unknown flag (state)", { path: `${base}/nope/environments/production`, method: "PATCH", body: { enabled: true } }, 404, "not_found"],
      ["unknown environment", { path: `${base}/${flag.key}/environments/staging`, method: "PATCH", body: { enabled: true } }, 404, "not_found"],
      ["taken key (create)", { path: base, method: "POST", body: { key: second.key, name: "X" } }, 409, "conflict"],
      ["taken key (rename)", { path: `${base}/${flag.key}`, method: "PATCH", body: { key: second.key } }, 409, "conflict"],
      ["unknown variation", { path: state, method: "PATCH", body: { default_variation_id: crypto.randomUUID() } }, 422, "unprocessable"],
      [
        "variation in use",
        { path: `${base}/${flag.key}`, method: "PATCH", body: { variations: [{ id: flag.variations[0].id, name: "Live", value: true }] } },
        422,
        "unprocessable",
      ],
      ["no variations for a string flag", { path: base, method: "POST", body: { key: "strings", name: "S", type: "string" } }, 400, "validation_failed"],
      ["bad key", { path: base, method: "POST", body: { key: "Not A Key", name: "X" } }, 400, "validation_failed"],
    ];
    const before = await stored(w);
    for (const [what, write, status, code] of cases) {
      const dry = await expectError(send(w, write, true), status, code);
      const real = await expectError(send(w, write, false), status, code);
      expect([dry.error.message, dry.error.details], what).toEqual([real.error.message, real.error.details]);
    }
    expect(await stored(w)).toEqual(before);
    await expectError(call(`${base}/${flag.key}?dry_run=yes`, { token: w.tenant.key, method: "PATCH", body: { name: "x" } }), 400, "validation_failed");
    // Another organization's project does not exist for this caller, dry run or not.
    const stranger: Tenant = await newTenant("Stranger");
    await expectError(call(`${base}/${flag.key}?dry_run=true`, { token: stranger.key, method: "PATCH", body: { name: "x" } }), 404, "not_found");
    await expectError(call(`${base}?dry_run=true`, { token: null, method: "POST", body: { key: "y", name: "Y" } }), 401);
  });

  it("a write that would change nothing answers the resource and no events", async () => {
    const w = await world();
    const flag = await newFlag(w.tenant, w.project.id);
    const same = await json(
      send(w, { path: `/projects/${w.project.id}/flags/${flag.key}/environments/production`, method: "PATCH", body: { enabled: false } }, true),
      200,
    );
    expect(same).toEqual({ dry_run: true, result: flag.environments.production, events: [] });
    const unchanged = await json(send(w, { path: `/projects/${w.project.id}/flags/${flag.key}`, method: "PATCH", body: { name: flag.name } }, true), 200);
    expect(unchanged).toEqual({ dry_run: true, result: flag, events: [] });
  });

  it("dry_run=false is the real write", async () => {
    const w = await world();
    const flag = await newFlag(w.tenant, w.project.id);
    const res = await json(
      call(`/projects/${w.project.id}/flags/${flag.key}?dry_run=false`, { token: w.tenant.key, method: "PATCH", body: { name: "Real" } }),
      200,
    );
    expect(res).toMatchObject({ name: "Real", version: 2 });
  });

  it("sees the writer's latest state: a dry run after a write is computed on top of it", async () => {
    const w = await world();
    const flag = await newFlag(w.tenant, w.project.id);
    const base = `/projects/${w.project.id}/flags/${flag.key}/environments/production`;
    await json(call(base, { token: w.tenant.key, method: "PATCH", body: { enabled: true } }), 200);
    const dry = await json(send(w, { path: base, method: "PATCH", body: { rollout_percentage: 10, version: 2 } }, true), 200);
    expect(dry.result).toMatchObject({ enabled: true, rollout_percentage: 10, version: 3 });
    expect(dry.events.map((e: any) => e.event)).toEqual(["flag_state.updated"]);
  });
});

describe("dry runs amid concurrent writes", () => {
  it("leave no trace: only the real writes are stored, counted and delivered", async () => {
    const w = await world();
    const flag = await newFlag(w.tenant, w.project.id);
    const start = await revisionOf(w);
    const state = `/projects/${w.project.id}/flags/${flag.key}/environments/production`;
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 2 === 0
          ? json(call(state, { token: w.tenant.key, method: "PATCH", body: { rollout_percentage: i * 5 } }), 200)
          : json(
              send(w, { path: `/projects/${w.project.id}/flags/${flag.key}`, method: "PATCH", body: { description: `dry ${i}`, tags: ["dry"] } }, true),
              200,
            ),
      ),
    );
    expect(answers.filter((a) => a.dry_run).length).toBe(6);
    const after = await getFlag(w.tenant, w.project.id, flag.key);
    expect([after.description, after.tags, after.version]).toEqual([flag.description, flag.tags, flag.version]);
    const events = (await listEvents(w.tenant, w.project.id)).filter((e) => e.revision > start);
    expect(events.every((e) => e.event === "flag_state.updated")).toBe(true);
    expect(await revisionOf(w)).toBe(start + new Set(events.map((e) => e.revision)).size);
    expect(after.environments.production.version).toBe(1 + events.length);
  });
});

describe("in the OpenAPI document", () => {
  it("every flag write takes dry_run and documents its 200 answer; the preview has its operationId, summary and tag", async () => {
    const doc = await json(call("/openapi.json"), 200);
    const writes: [string, string, string][] = [
      ["/projects/{projectId}/flags", "post", "DryRunFlag"],
      ["/projects/{projectId}/flags/{flagKey}", "patch", "DryRunFlag"],
      ["/projects/{projectId}/flags/{flagKey}", "delete", "DryRunFlagDeletion"],
      ["/projects/{projectId}/flags/{flagKey}/environments/{envKey}", "patch", "DryRunFlagState"],
    ];
    for (const [path, method, schema] of writes) {
      const op = doc.paths[path][method];
      expect(op.parameters.find((p: any) => p.name === "dry_run")).toMatchObject({ in: "query", schema: { enum: ["true", "false"] } });
      expect(JSON.stringify(op.responses["200"])).toContain(`#/components/schemas/${schema}"`);
    }
    const preview = doc.paths["/projects/{projectId}/flags/{flagKey}/environments/{envKey}/preview"].post;
    expect(preview).toMatchObject({ operationId: "previewFlagState", tags: ["flags"] });
    expect(preview.summary).toMatch(/what-if/i);
    expect(JSON.stringify(preview.requestBody)).toContain("#/components/schemas/StatePreviewRequest");
    expect(JSON.stringify(preview.responses["200"])).toContain("#/components/schemas/StatePreview");
    for (const name of ["DryRunEvent", "StatePreviewRequest", "StatePreview", "PreviewOutcome"]) expect(doc.components.schemas[name], name).toBeDefined();
  });
});

describe("dry_run on a write that has no dry run (v1.2)", () => {
  const FLAG_WRITES = new Set([
    "post /projects/{projectId}/flags",
    "patch /projects/{projectId}/flags/{flagKey}",
    "delete /projects/{projectId}/flags/{flagKey}",
    "patch /projects/{projectId}/flags/{flagKey}/environments/{envKey}",
    // A revert is a flag write too, and previews with dry_run (test/revert.test.ts).
    "post /projects/{projectId}/revisions/{revision}/revert",
  ]);

  it("is a 400 naming dry_run on every other write route of the OpenAPI document, whatever its value", async () => {
    const { tenant, project } = await setup();
    const doc = await json(call("/openapi.json"), 200);
    const writes: [string, string][] = [];
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      // The evaluation routes are served at the root and are reads, whatever their method.
      if (path.startsWith("/ofrep") || path.startsWith("/tggl")) continue;
      for (const method of Object.keys(ops))
        if (["post", "put", "patch", "delete"].includes(method) && !FLAG_WRITES.has(`${method} ${path}`)) writes.push([method, path]);
    }
    expect(writes.length).toBeGreaterThan(20);
    const fill = (path: string) =>
      path
        .replace("{projectId}", project.id)
        .replace(/\{(flagKey|envKey)\}/g, "production")
        .replace(/\{[a-zA-Z]+\}/g, "00000000-0000-4000-8000-000000000000");
    for (const [i, [method, path]] of writes.entries()) {
      const value = ["true", "false", "1", ""][i % 4];
      const res = await call(`${fill(path)}?dry_run=${value}`, {
        token: path.startsWith("/admin") ? ADMIN_TOKEN : tenant.key,
        method: method.toUpperCase(),
        body: {},
      });
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(badFields((await res.json()) as never), `${method} ${path}`).toEqual(["dry_run"]);
    }
  });

  it("stores nothing: POST /projects?dry_run=true creates no project", async () => {
    const tenant = await newTenant();
    await expectError(call("/projects?dry_run=true", { token: tenant.key, body: { key: "web", name: "Web" } }), 400, "validation_failed");
    expect((await json(call("/projects", { token: tenant.key }), 200)).data).toEqual([]);
    await expectError(call("/me/api-keys?dry_run", { token: tenant.key, method: "POST", body: {} }), 400, "validation_failed");
  });

  it("still previews the flag writes that have one", async () => {
    const { tenant, project } = await setup();
    expect((await json(call(`/projects/${project.id}/flags?dry_run=true`, { token: tenant.key, body: { key: "f", name: "F" } }), 200)).dry_run).toBe(true);
  });
});
