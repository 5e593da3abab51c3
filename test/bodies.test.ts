// Bodies that cannot be taken as they are: JSON nested deeper than 32 levels anywhere, or bytes that
// are not UTF-8. Both are 400 and store nothing, on every JSON route, before any walk of the value.
import { describe, expect, it } from "vitest";
import { jsonDepthExceeds, MAX_JSON_DEPTH } from "../src/kernel/json";
import { JsonBodyError, parseJsonBody } from "../src/kernel/validation";
import { storedCounts } from "./fuzz-targets";
import { call, expectError, json, listEvents, newFlag, setup, webhookInput } from "./helpers";

/** A JSON value `depth` containers deep, counted from its own root: depth 1 is `[0]`. */
function nested(depth: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = i % 2 ? { v: value } : [value];
  return value;
}

describe("parseJsonBody", () => {
  it.each([
    ["[]", 1],
    ['{"a":[{"b":1}]}', 3],
    ['"[[[[["', 0],
    ['["\\"[[[", {"x": "}}}"}]', 2],
    ["1", 0],
  ])("counts the nesting of %s as %i", (text, depth) => {
    expect(jsonDepthExceeds(text, depth)).toBe(false);
    expect(jsonDepthExceeds(text, depth - 1)).toBe(depth > 0);
  });

  it("takes 32 levels and refuses 33, counted from the root, without recursion", () => {
    expect(parseJsonBody(JSON.stringify(nested(MAX_JSON_DEPTH)))).toEqual(nested(MAX_JSON_DEPTH));
    expect(() => parseJsonBody(JSON.stringify(nested(MAX_JSON_DEPTH + 1)))).toThrow(JsonBodyError);
    expect(() => parseJsonBody("[".repeat(1_000_000))).toThrow(/nested deeper than 32/);
    expect(() => parseJsonBody(JSON.stringify({ a: nested(10) }), { maxDepth: 8 })).toThrow(/nested deeper than 8/);
  });

  it("refuses bytes that are not UTF-8 instead of replacing them", () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('{"name":"'), 0xff, 0xfe, ...new TextEncoder().encode('"}')]);
    expect(() => parseJsonBody(bytes)).toThrow(/not valid UTF-8/);
    expect(parseJsonBody(new TextEncoder().encode('{"name":"é"}'))).toEqual({ name: "é" });
  });
});

describe("deep and ill-encoded bodies over HTTP", () => {
  it("a variation value nested 5,000 deep is a 400 and nothing is stored", async () => {
    const { tenant, project } = await setup();
    const before = await storedCounts();
    const body = { key: "deep", name: "Deep", type: "json", variations: [{ name: "A", value: nested(5000) }] };
    const res = await expectError(call(`/projects/${project.id}/flags`, { token: tenant.key, body }), 400, "invalid_json");
    expect(res.error.message).toMatch(/nested deeper than 32/);
    expect(await storedCounts()).toEqual(before);
  });

  it("a PATCH nested 3,000 deep neither commits nor sends a webhook", async () => {
    const { tenant, project } = await setup();
    await json(call(`/projects/${project.id}/webhooks`, { token: tenant.key, body: webhookInput({ events: ["flag.updated"] }) }), 201);
    const flag = await newFlag(tenant, project.id, { type: "json", variations: [{ name: "A", value: 1 }] });
    const before = await listEvents(tenant, project.id);
    const variations = [{ id: flag.variations[0].id, name: "A", value: nested(3000) }];
    await expectError(call(`/projects/${project.id}/flags/${flag.key}`, { token: tenant.key, method: "PATCH", body: { variations } }), 400, "invalid_json");
    expect(await listEvents(tenant, project.id)).toEqual(before);
    expect((await json(call(`/projects/${project.id}/flags/${flag.key}`, { token: tenant.key }), 200)).version).toBe(1);
  });

  it("33 levels anywhere in a body is refused; 32 in all is taken", async () => {
    const { tenant, project } = await setup();
    // The root object, variations[], the variation {} and its value: 3 levels before the value's own.
    const ok = { key: "ok32", name: "Ok", type: "json", variations: [{ name: "A", value: nested(MAX_JSON_DEPTH - 3) }] };
    expect((await call(`/projects/${project.id}/flags`, { token: tenant.key, body: ok })).status).toBe(201);
    const deep = { ...ok, key: "deep33", variations: [{ name: "A", value: nested(MAX_JSON_DEPTH - 2) }] };
    await expectError(call(`/projects/${project.id}/flags`, { token: tenant.key, body: deep }), 400, "invalid_json");
    // Anywhere: in a field the route does not even read.
    await expectError(call("/projects", { token: tenant.key, body: { key: "x", name: "X", extra: nested(40) } }), 400, "invalid_json");
  });

  it("invalid UTF-8 is a 400, not silently replaced", async () => {
    const { tenant } = await setup();
    const bytes = new Uint8Array([...new TextEncoder().encode('{"key":"utf","name":"A'), 0xc3, 0x28, ...new TextEncoder().encode('"}')]);
    const before = await storedCounts();
    const res = await expectError(
      call("/projects", { token: tenant.key, rawBody: bytes, headers: { "content-type": "application/json" } }),
      400,
      "invalid_json",
    );
    expect(res.error.message).toMatch(/UTF-8/);
    expect(await storedCounts()).toEqual(before);
  });
});
