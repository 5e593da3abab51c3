// CONTRACT.md v1.2, "Limits, round two", as a client meets it: patterns RE2 can match in linear
// time (refused on every write that takes rules otherwise), one context of at most 32 KiB on every
// evaluation route, and a budget that refuses a context whose rules would hold the isolate.
import { describe, expect, it } from "vitest";
import { badFields, call, expectError, json, newFlag, patchState, setup } from "./helpers";
import { newSdkKey, ofrep, tggl } from "./serve-helpers";

async function fixture() {
  const { tenant, project } = await setup();
  const flag = await newFlag(tenant, project.id, { key: "checkout" });
  const [on, off] = flag.variations.map((v: { id: string }) => v.id);
  const statePath = `/projects/${project.id}/flags/checkout/environments/production`;
  const withRules = (rules: unknown[]) => ({ enabled: true, rollout_percentage: 100, rollout_variation_id: off, conditions: [{ variation_id: on, rules }] });
  return { tenant, project, on, off, statePath, withRules };
}

const regexp = (value: string) => ({ property: "email", operator: "STR_REGEXP", value });

describe("patterns", () => {
  it.each([
    ["a lookahead", "^(?!admin)"],
    ["a backreference", "^(a+)\\1$"],
    ["a Unicode property escape", "\\p{L}"],
    ["a pattern of 257 characters", "a".repeat(257)],
    ["counted repetitions past RE2's program limit", "[a]{1,1000}[a]{1,1000}"],
  ])("refuses %s on a state PATCH, its dry run and the what-if preview, with 400 naming the value", async (_, pattern) => {
    const { tenant, statePath, withRules } = await fixture();
    const body = withRules([regexp(pattern)]);
    expect(badFields(await expectError(call(statePath, { token: tenant.key, method: "PATCH", body }), 400, "validation_failed"))).toEqual([
      "conditions.0.rules.0.value",
    ]);
    expect(badFields(await expectError(call(`${statePath}?dry_run=true`, { token: tenant.key, method: "PATCH", body }), 400, "validation_failed"))).toEqual([
      "conditions.0.rules.0.value",
    ]);
    const preview = call(`${statePath}/preview`, { token: tenant.key, method: "POST", body: { patch: body, contexts: [{ email: "a" }] } });
    expect(badFields(await expectError(preview, 400, "validation_failed"))).toEqual(["patch.conditions.0.rules.0.value"]);
  });

  it("stores ^(a+)+$ and the classic e-mail pattern, and a client key's 31 characters are answered (RE2 does not backtrack)", async () => {
    const { tenant, project, statePath, withRules } = await fixture();
    const email = "^([a-zA-Z0-9_\\.\\-])+\\@(([a-zA-Z0-9\\-])+\\.)+([a-zA-Z0-9]{2,4})+$";
    await json(call(statePath, { token: tenant.key, method: "PATCH", body: withRules([regexp("^(a+)+$")]) }), 200);
    const mail = await newFlag(tenant, project.id, { key: "mail" });
    const mailState = {
      enabled: true,
      rollout_percentage: 100,
      rollout_variation_id: mail.variations[1].id,
      conditions: [{ variation_id: mail.variations[0].id, rules: [regexp(email)] }],
    };
    await json(patchState(tenant, project.id, "mail", "production", mailState), 200);
    const client = (await newSdkKey(tenant, project.id, "production", "client")).key;
    const slow = await json(ofrep(client, "checkout", { context: { email: `${"a".repeat(30)}!` } }), 200);
    expect(slow.reason).toBe("DEFAULT");
    expect((await json(ofrep(client, "checkout", { context: { email: "a".repeat(30) } }), 200)).reason).toBe("TARGETING_MATCH");
    const address = `a@${"a".repeat(8)}.${"aaaa".repeat(11)}!`;
    expect((await json(ofrep(client, "mail", { context: { email: address } }), 200)).reason).toBe("DEFAULT");
    expect((await json(ofrep(client, "mail", { context: { email: "bob@acme.com" } }), 200)).reason).toBe("TARGETING_MATCH");
  });
});

describe("one context is at most 32 KiB", () => {
  const big = { blob: "x".repeat(33 * 1024) };

  it("on /tggl/flags, context by context", async () => {
    const { tenant, project } = await fixture();
    const key = (await newSdkKey(tenant, project.id)).key;
    expect((await tggl(key, "/flags", { method: "POST", body: { plan: "pro" } })).status).toBe(200);
    expect((await tggl(key, "/flags", { method: "POST", body: big })).status).toBe(413);
    const many = await tggl(key, "/flags", { method: "POST", body: [{ plan: "pro" }, big] });
    expect(many.status).toBe(413);
    expect(((await many.json()) as { error: { message: string } }).error.message).toContain("context 1");
  });

  it("on the what-if preview, naming the context", async () => {
    const { tenant, statePath } = await fixture();
    const err = await expectError(
      call(`${statePath}/preview`, { token: tenant.key, method: "POST", body: { patch: { enabled: true }, contexts: [{}, big] } }),
      413,
      "payload_too_large",
    );
    expect(err.error.details).toEqual([{ field: "contexts.1", message: expect.stringMatching(/bytes/) }]);
  });
});

describe("the evaluation budget", () => {
  it("refuses a context whose rules would cost too much with INVALID_CONTEXT, and serves a smaller one", async () => {
    const { tenant, project, statePath, withRules } = await fixture();
    // 1,000 values a rule, 10 rules that all hold: each reads the 30 KiB value once a value.
    const rules = Array.from({ length: 10 }, (_, i) => ({
      property: "bio",
      operator: "STR_NOT_CONTAINS",
      values: Array.from({ length: 1000 }, (_, j) => `${i}-${j}`),
    }));
    await json(call(statePath, { token: tenant.key, method: "PATCH", body: withRules(rules) }), 200);
    const key = (await newSdkKey(tenant, project.id)).key;
    const refused = await ofrep(key, "checkout", { context: { bio: "x".repeat(30 * 1024) } });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ key: "checkout", errorCode: "INVALID_CONTEXT", errorDetails: expect.stringContaining("too long") });
    expect((await ofrep(key, null, { context: { bio: "x".repeat(30 * 1024) } })).status).toBe(400);
    expect((await tggl(key, "/flags", { method: "POST", body: { bio: "x".repeat(30 * 1024) } })).status).toBe(400);
    expect((await json(ofrep(key, "checkout", { context: { bio: "a short one" } }), 200)).reason).toBe("TARGETING_MATCH");
  });
});
