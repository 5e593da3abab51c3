// Flags over HTTP: create, read, list, update (with versions and If-Match), rename and delete.
import { describe, expect, it } from "vitest";
import { FlagSchema } from "../src/flags/schemas";
import { badFields, call, expectError, getFlag, json, listEvents, newFlag, patchFlag, patchState, setup, unknownId } from "./helpers";

const flagsPath = (projectId: string) => `/projects/${projectId}/flags`;

describe("POST /projects/{projectId}/flags", () => {
  it("creates a boolean flag with the contract's defaults and emits flag.created", async () => {
    const { tenant, project } = await setup();
    const flag = FlagSchema.parse(await json(call(flagsPath(project.id), { token: tenant.key, body: { key: "new-checkout", name: "New Checkout" } }), 201));
    expect(flag).toMatchObject({ key: "new-checkout", name: "New Checkout", description: "", type: "boolean", tags: [], archived: false, version: 1 });
    expect(flag.sharing).toEqual({ share_with_everyone: true, roles: [] });
    expect(flag.variations.map(({ name, value, active, order }) => ({ name, value, active, order }))).toEqual([
      { name: "Live", value: true, active: true, order: 0 },
      { name: "Off", value: false, active: false, order: 1 },
    ]);
    const events = await listEvents(tenant, project.id);
    expect(events.map((e) => [e.event, e.flag.key, e.environment])).toEqual([["flag.created", "new-checkout", null]]);
    expect(events[0].changes).toEqual([{ __typename: "FlagCreated", created: true }]);
  });

  it.each([
    [
      "string",
      [
        { name: "Red", value: "red" },
        { name: "Blue", value: "blue", active: false },
      ],
    ],
    [
      "number",
      [
        { name: "Ten", value: 10 },
        { name: "Pi", value: 3.14 },
      ],
    ],
    [
      "json",
      [
        { name: "Obj", value: { a: [1, null] } },
        { name: "Null", value: null },
      ],
    ],
    [
      "boolean",
      [
        { name: "On", value: true },
        { name: "Half", value: false },
        { name: "Off", value: false, active: false },
      ],
    ],
  ])("creates a %s flag with its own variations", async (type, variations) => {
    const { tenant, project } = await setup();
    const flag = FlagSchema.parse(await newFlag(tenant, project.id, { type, variations, tags: ["a", "b", "a"], description: "why" }));
    expect(flag.type).toBe(type);
    expect(flag.tags).toEqual(["a", "b"]);
    expect(flag.variations.map((v) => v.value)).toEqual(variations.map((v) => v.value));
    expect(flag.variations.map((v) => v.active)).toEqual(variations.map((v) => (v as { active?: boolean }).active ?? true));
    expect(new Set(flag.variations.map((v) => v.id)).size).toBe(variations.length);
  });

  it.each([
    ["a value of the wrong type", { type: "number", variations: [{ name: "X", value: "10" }] }, ["variations.0.value"]],
    ["a missing value", { type: "json", variations: [{ name: "X" }] }, ["variations.0.value"]],
    ["no variations for a string flag", { type: "string" }, ["variations"]],
    ["an empty variation list", { variations: [] }, ["variations"]],
    ["an unknown type", { type: "date" }, ["type"]],
    ["a bad colour", { variations: [{ name: "X", value: true, color: "red" }] }, ["variations.0.color"]],
    ["a tag that is not a string", { tags: [1] }, ["tags.0"]],
    ["a name over 200 characters", { name: "n".repeat(201) }, ["name"]],
  ])("refuses %s with 400 naming the field", async (_, body, fields) => {
    const { tenant, project } = await setup();
    const err = await expectError(call(flagsPath(project.id), { token: tenant.key, body: { key: "f", name: "F", ...body } }), 400, "validation_failed");
    expect(badFields(err)).toEqual(fields);
    expect((await json(call(flagsPath(project.id), { token: tenant.key }), 200)).data).toEqual([]);
  });

  it("refuses a JSON value holding a number too large to store (1e400 parses as Infinity) rather than storing null", async () => {
    const { tenant, project } = await setup();
    const rawBody = '{"key": "j", "name": "J", "type": "json", "variations": [{"name": "Big", "value": {"n": [1e400]}}]}';
    const err = await expectError(
      call(flagsPath(project.id), { token: tenant.key, method: "POST", rawBody, headers: { "content-type": "application/json" } }),
      400,
      "validation_failed",
    );
    expect(badFields(err)).toEqual(["variations.0.value"]);
  });

  it.each(["", "Flag", "-flag", "flag!", "x".repeat(65)])("refuses the key %j with 400", async (key) => {
    const { tenant, project } = await setup();
    const err = await expectError(call(flagsPath(project.id), { token: tenant.key, body: { key, name: "F" } }), 400, "validation_failed");
    expect(badFields(err)).toEqual(["key"]);
  });

  it("refuses a duplicate key with 409 and emits nothing", async () => {
    const { tenant, project } = await setup();
    await newFlag(tenant, project.id, { key: "dup" });
    await expectError(call(flagsPath(project.id), { token: tenant.key, body: { key: "dup", name: "Again" } }), 409, "conflict");
    expect((await getFlag(tenant, project.id, "dup")).name).toBe("New Checkout");
    expect(await listEvents(tenant, project.id)).toHaveLength(1);
  });

  it("answers 404 for an unknown project", async () => {
    const { tenant } = await setup();
    await expectError(call(flagsPath(unknownId()), { token: tenant.key, body: { key: "f", name: "F" } }), 404, "not_found");
  });
});

describe("GET flags", () => {
  it("lists newest first, pages with limit and cursor, and reads one flag", async () => {
    const { tenant, project } = await setup();
    for (const key of ["f1", "f2", "f3"]) await newFlag(tenant, project.id, { key });
    const first = await json(call(`${flagsPath(project.id)}?limit=2`, { token: tenant.key }), 200);
    expect(first.data.map((f: unknown) => FlagSchema.parse(f).key)).toEqual(["f3", "f2"]);
    const last = await json(call(`${flagsPath(project.id)}?limit=2&cursor=${first.next_cursor}`, { token: tenant.key }), 200);
    expect(last.data.map((f: { key: string }) => f.key)).toEqual(["f1"]);
    expect(last.next_cursor).toBeNull();
    expect(FlagSchema.parse(await getFlag(tenant, project.id, "f2"))).toEqual(FlagSchema.parse(first.data[1]));
  });

  it("refuses a bad limit or cursor, and answers 404 for unknown flags and projects", async () => {
    const { tenant, project } = await setup();
    await expectError(call(`${flagsPath(project.id)}?limit=0`, { token: tenant.key }), 400, "validation_failed");
    await expectError(call(`${flagsPath(project.id)}?limit=201`, { token: tenant.key }), 400, "validation_failed");
    await expectError(call(`${flagsPath(project.id)}?cursor=%%%`, { token: tenant.key }), 400);
    await expectError(call(`${flagsPath(project.id)}?cursor=zzzz`, { token: tenant.key }), 400, "validation_failed");
    await expectError(call(`${flagsPath(project.id)}/missing`, { token: tenant.key }), 404, "not_found");
    await expectError(call(`${flagsPath(project.id)}/Not_A_Key`, { token: tenant.key }), 400, "validation_failed");
    await expectError(call(flagsPath(unknownId()), { token: tenant.key }), 404, "not_found");
  });
});

describe("PATCH /projects/{projectId}/flags/{flagKey}", () => {
  it("answers the whole updated flag and adds exactly 1 to its version", async () => {
    const { tenant, project } = await setup();
    const flag = FlagSchema.parse(await newFlag(tenant, project.id, { key: "f" }));
    const patch = { name: "Renamed", description: "d", tags: ["x"], archived: true, sharing: { share_with_everyone: false, roles: ["admin", "admin"] } };
    const updated = FlagSchema.parse(await json(patchFlag(tenant, project.id, "f", patch), 200));
    expect(updated).toMatchObject({
      ...patch,
      sharing: { share_with_everyone: false, roles: ["admin"] },
      version: 2,
      id: flag.id,
      created_at: flag.created_at,
    });
    expect(updated.environments).toEqual(flag.environments);
    expect(FlagSchema.parse(await getFlag(tenant, project.id, "f"))).toEqual(updated);
    const events = await listEvents(tenant, project.id);
    expect(events.map((e) => e.event)).toEqual(["flag.updated", "flag.created"]);
    expect(events[0].changes.map((c: { __typename: string }) => c.__typename).sort()).toEqual(
      ["FlagArchived", "FlagDescriptionChanged", "FlagNameChanged", "FlagSharingChanged", "FlagTagsChanged"].sort(),
    );
  });

  it("answers 200 to a write that changes nothing, without a new version or event", async () => {
    const { tenant, project } = await setup();
    const flag = FlagSchema.parse(await newFlag(tenant, project.id, { key: "f", tags: ["t"] }));
    for (const body of [{}, { name: flag.name }, { key: "f", tags: ["t"], archived: false }, { version: 1 }]) {
      const same = FlagSchema.parse(await json(patchFlag(tenant, project.id, "f", body), 200));
      expect(same).toEqual(flag);
    }
    expect(await listEvents(tenant, project.id)).toHaveLength(1);
  });

  it("renames a flag: the new key answers, the old one is gone, and a taken key is 409", async () => {
    const { tenant, project } = await setup();
    await newFlag(tenant, project.id, { key: "old" });
    await newFlag(tenant, project.id, { key: "taken" });
    const renamed = FlagSchema.parse(await json(patchFlag(tenant, project.id, "old", { key: "new" }), 200));
    expect(renamed).toMatchObject({ key: "new", version: 2 });
    await expectError(call(`${flagsPath(project.id)}/old`, { token: tenant.key }), 404, "not_found");
    expect((await getFlag(tenant, project.id, "new")).key).toBe("new");
    expect((await listEvents(tenant, project.id))[0].changes).toEqual([{ __typename: "FlagSlugChanged", oldSlug: "old", newSlug: "new" }]);

    await expectError(patchFlag(tenant, project.id, "new", { key: "taken" }), 409, "conflict");
    expect((await getFlag(tenant, project.id, "new")).version).toBe(2);
    const err = await expectError(patchFlag(tenant, project.id, "new", { key: "Bad Key" }), 400, "validation_failed");
    expect(badFields(err)).toEqual(["key"]);
    // The old key is free again.
    await newFlag(tenant, project.id, { key: "old" });
  });

  it("updates, creates and deletes variations from the whole list, keeping ids", async () => {
    const { tenant, project } = await setup();
    const flag = FlagSchema.parse(
      await newFlag(tenant, project.id, {
        key: "f",
        type: "string",
        variations: [
          { name: "A", value: "a" },
          { name: "B", value: "b" },
          { name: "C", value: "c" },
        ],
      }),
    );
    const [a, b, c] = flag.variations;
    // A is the rollout variation and C the default; B is used by nobody.
    const updated = FlagSchema.parse(
      await json(
        patchFlag(tenant, project.id, "f", {
          variations: [
            { id: c.id, name: "C", value: "c" },
            { id: a.id, name: "A2", value: "a2" },
            { name: "D", value: "d" },
          ],
        }),
        200,
      ),
    );
    expect(updated.version).toBe(2);
    expect(updated.variations.map((v) => [v.name, v.value, v.order])).toEqual([
      ["C", "c", 0],
      ["A2", "a2", 1],
      ["D", "d", 2],
    ]);
    expect(updated.variations[0].id).toBe(c.id);
    expect(updated.variations[1].id).toBe(a.id);
    expect([a.id, b.id, c.id]).not.toContain(updated.variations[2].id);
    expect(updated.variations.some((v) => v.id === b.id)).toBe(false);
  });

  it("refuses with 422 to delete a variation a state uses, and changes nothing", async () => {
    const { tenant, project } = await setup();
    const flag = FlagSchema.parse(await newFlag(tenant, project.id, { key: "f" }));
    const [live] = flag.variations;
    await expectError(
      patchFlag(tenant, project.id, "f", { name: "Also renamed", variations: [{ id: live.id, name: "Live", value: true }] }),
      422,
      "unprocessable",
    );
    expect(FlagSchema.parse(await getFlag(tenant, project.id, "f"))).toEqual(flag);
    expect(await listEvents(tenant, project.id)).toHaveLength(1);
  });

  it("refuses a variation id the flag does not have, or the same id twice, with 400", async () => {
    const { tenant, project } = await setup();
    const flag = FlagSchema.parse(await newFlag(tenant, project.id, { key: "f" }));
    const [live, off] = flag.variations;
    const unknown = await expectError(
      patchFlag(tenant, project.id, "f", {
        variations: [
          { id: unknownId(), name: "X", value: true },
          { id: off.id, name: "Off", value: false },
          { id: live.id, name: "Live", value: true },
        ],
      }),
      400,
      "validation_failed",
    );
    expect(badFields(unknown)).toEqual(["variations.0.id"]);
    const twice = await expectError(
      patchFlag(tenant, project.id, "f", {
        variations: [
          { id: live.id, name: "Live", value: true },
          { id: live.id, name: "Live again", value: true },
          { id: off.id, name: "Off", value: false },
        ],
      }),
      400,
      "validation_failed",
    );
    expect(badFields(twice)).toEqual(["variations.1.id"]);
    expect(FlagSchema.parse(await getFlag(tenant, project.id, "f"))).toEqual(flag);
  });

  it.each(["1", '"1"', 'W/"1"'])("refuses a stale If-Match %s with 409 and changes nothing", async (ifMatch) => {
    const { tenant, project } = await setup();
    await newFlag(tenant, project.id, { key: "f" });
    const current = FlagSchema.parse(await json(patchFlag(tenant, project.id, "f", { name: "Two" }), 200));
    await expectError(patchFlag(tenant, project.id, "f", { name: "Three" }, { "if-match": ifMatch }), 409, "version_conflict");
    expect(FlagSchema.parse(await getFlag(tenant, project.id, "f"))).toEqual(current);
    expect(await listEvents(tenant, project.id)).toHaveLength(2);
    // The current version, in the same form, is accepted.
    const fresh = ifMatch.replace("1", "2");
    expect((await json(patchFlag(tenant, project.id, "f", { name: "Three" }, { "if-match": fresh }), 200)).version).toBe(3);
  });

  it("refuses a stale body version with 409, and a version that disagrees with If-Match or a malformed If-Match with 400", async () => {
    const { tenant, project } = await setup();
    await newFlag(tenant, project.id, { key: "f" });
    await json(patchFlag(tenant, project.id, "f", { name: "Two" }), 200);
    await expectError(patchFlag(tenant, project.id, "f", { name: "Three", version: 1 }), 409, "version_conflict");
    await expectError(patchFlag(tenant, project.id, "f", { name: "Three", version: 2 }, { "if-match": "1" }), 400, "validation_failed");
    await expectError(patchFlag(tenant, project.id, "f", { name: "Three" }, { "if-match": "two" }), 400, "validation_failed");
    await expectError(patchFlag(tenant, project.id, "f", { name: "Three", version: 0 }), 400, "validation_failed");
    expect((await getFlag(tenant, project.id, "f")).name).toBe("Two");
    expect((await json(patchFlag(tenant, project.id, "f", { name: "Three", version: 2 }), 200)).version).toBe(3);
  });

  it("refuses bad fields, a non-JSON body and a non-JSON content type", async () => {
    const { tenant, project } = await setup();
    const flag = FlagSchema.parse(await newFlag(tenant, project.id, { key: "f" }));
    const err = await expectError(
      patchFlag(tenant, project.id, "f", { name: "", archived: "yes", tags: "x", sharing: { roles: [] } }),
      400,
      "validation_failed",
    );
    expect(badFields(err).sort()).toEqual(["archived", "name", "sharing.share_with_everyone", "tags"]);
    const path = `${flagsPath(project.id)}/f`;
    await expectError(
      call(path, { token: tenant.key, method: "PATCH", rawBody: '{"name": "X"', headers: { "content-type": "application/json" } }),
      400,
      "invalid_json",
    );
    await expectError(
      call(path, { token: tenant.key, method: "PATCH", rawBody: '{"name": "X"}', headers: { "content-type": "text/plain" } }),
      415,
      "unsupported_media_type",
    );
    await expectError(
      call(path, { token: tenant.key, method: "PATCH", rawBody: "name=X", headers: { "content-type": "application/x-www-form-urlencoded" } }),
      415,
      "unsupported_media_type",
    );
    expect(FlagSchema.parse(await getFlag(tenant, project.id, "f"))).toEqual(flag);
    await expectError(patchFlag(tenant, project.id, "missing", { name: "X" }), 404, "not_found");
  });
});

describe("DELETE /projects/{projectId}/flags/{flagKey}", () => {
  it("answers 204, then 404, and emits flag.deleted", async () => {
    const { tenant, project } = await setup();
    await newFlag(tenant, project.id, { key: "f" });
    const res = await call(`${flagsPath(project.id)}/f`, { token: tenant.key, method: "DELETE" });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    await expectError(call(`${flagsPath(project.id)}/f`, { token: tenant.key }), 404, "not_found");
    await expectError(call(`${flagsPath(project.id)}/f`, { token: tenant.key, method: "DELETE" }), 404, "not_found");
    await expectError(patchState(tenant, project.id, "f", "production", { enabled: true }), 404, "not_found");
    expect((await listEvents(tenant, project.id)).map((e) => e.event)).toEqual(["flag.deleted", "flag.created"]);
    expect((await json(call(flagsPath(project.id), { token: tenant.key }), 200)).data).toEqual([]);
    // The key can be used again, by a new flag.
    expect((await newFlag(tenant, project.id, { key: "f" })).version).toBe(1);
  });

  it.each(["1", '"1"', 'W/"1"'])("refuses a stale If-Match %s with 409 and keeps the flag", async (ifMatch) => {
    const { tenant, project } = await setup();
    await newFlag(tenant, project.id, { key: "f" });
    await json(patchFlag(tenant, project.id, "f", { name: "Two" }), 200);
    await expectError(call(`${flagsPath(project.id)}/f`, { token: tenant.key, method: "DELETE", headers: { "if-match": ifMatch } }), 409, "version_conflict");
    expect((await getFlag(tenant, project.id, "f")).version).toBe(2);
    const res = await call(`${flagsPath(project.id)}/f`, { token: tenant.key, method: "DELETE", headers: { "if-match": ifMatch.replace("1", "2") } });
    expect(res.status).toBe(204);
  });
});
