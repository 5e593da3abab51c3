// Done when both real clients agree with Flagpost: the OpenFeature SDK with the OFREP provider, and
// tggl-core (the evaluator of Tggl's SDKs) run on /tggl/config, give the answers Flagpost's own OFREP
// and /tggl/flags give, on every flag and context of a project that uses every operator, rollouts,
// disabled, archived and inactive-variation flags and every flag type.
//
// The SDK runs here, inside workerd, unchanged; only its transport is handed the Worker in-process
// (the provider's own `fetchImplementation` option), since tests reach the Worker that way.
import { OFREPProvider } from "@openfeature/ofrep-provider";
import { OpenFeature, type Client, type EvaluationContext } from "@openfeature/server-sdk";
import { exports } from "cloudflare:workers";
import { evalFlag, type Flag as TgglFlag } from "tggl-core";
import { beforeAll, describe, expect, it } from "vitest";
import { OfrepBulkSchema, OfrepEvaluationSchema, TgglConfigSchema } from "../src/serve/schemas";
import { call, json, newFlag, patchFlag, patchState, setup, type Tenant } from "./helpers";
import { newSdkKey, ofrep, ROOT, tggl } from "./serve-helpers";

const TYPES = ["boolean", "string", "number", "json"] as const;
type FlagType = (typeof TYPES)[number];
const HIT: Record<FlagType, unknown> = { boolean: true, string: "hit", number: 1, json: { hit: true, n: [1, 2] } };
const MISS: Record<FlagType, unknown> = { boolean: false, string: "miss", number: 0, json: { hit: false } };

/** One flag per operator: a condition with that single rule serves "hit", everyone else "miss". */
const OPERATOR_RULES: Record<string, unknown>[] = [
  { property: "plan", operator: "STR_EQUALS", values: ["pro", "vip"] },
  { property: "plan", operator: "STR_NOT_EQUALS", values: ["free"] },
  { property: "email", operator: "STR_STARTS_WITH", values: ["admin"] },
  { property: "email", operator: "STR_NOT_STARTS_WITH", values: ["admin"] },
  { property: "email", operator: "STR_ENDS_WITH", values: ["@acme.com"] },
  { property: "email", operator: "STR_NOT_ENDS_WITH", values: ["@acme.com"] },
  { property: "name", operator: "STR_CONTAINS", values: ["an"] },
  { property: "name", operator: "STR_NOT_CONTAINS", values: ["an"] },
  { property: "country", operator: "SELECT_EQUALS", values: ["fr", "de"] },
  { property: "country", operator: "SELECT_NOT_EQUALS", values: ["fr"] },
  { property: "tags", operator: "ARR_OVERLAP", values: ["beta", "staff"] },
  { property: "tags", operator: "ARR_NOT_OVERLAP", values: ["beta"] },
  { property: "age", operator: "NUM_EQUALS", value: 30 },
  { property: "age", operator: "NUM_NOT_EQUALS", value: 30 },
  { property: "age", operator: "NUM_GT", value: 30 },
  { property: "age", operator: "NUM_GTE", value: 30 },
  { property: "age", operator: "NUM_LT", value: 30 },
  { property: "age", operator: "NUM_LTE", value: 30 },
  { property: "signup", operator: "DATE_AFTER", value: "2026-01-15T12:00:00Z" },
  { property: "signup", operator: "DATE_BEFORE", value: "2026-01-15T12:00:00Z" },
  { property: "signup", operator: "DATE_IS", value: "2026-01-15" },
  { property: "appVersion", operator: "SEMVER_IS", value: "2.1" },
  { property: "appVersion", operator: "SEMVER_GTE", value: "2.1.0" },
  { property: "appVersion", operator: "SEMVER_LTE", value: "2.1.0" },
  { property: "name", operator: "STR_BEFORE", value: "m" },
  { property: "name", operator: "STR_AFTER", value: "m" },
  { property: "email", operator: "STR_REGEXP", value: "^[a-z]+@acme\\.com$" },
  { property: "email", operator: "STR_NOT_REGEXP", value: "^[a-z]+@acme\\.com$" },
  { property: "beta", operator: "IS_TRUE" },
  { property: "beta", operator: "IS_FALSE" },
  { property: "nickname", operator: "IS_EMPTY" },
  { property: "nickname", operator: "IS_NOT_EMPTY" },
  { property: "userId", operator: "PERCENTAGE", range_start: 20, range_end: 70 },
  { property: "userId", operator: "PERCENTAGE", range_start: 0, range_end: 50, seed: 42 },
];

const PICKS: Record<string, unknown[]> = {
  plan: ["pro", "free", "vip", 3, null, undefined],
  email: ["admin@acme.com", "bob@other.org", "x@acme.com", 42, "admin.x@acme.com", undefined],
  name: ["anna", "zed", "m", "Bob", undefined],
  country: ["fr", "us", "de", undefined],
  tags: [["beta"], ["x"], "beta", [], ["staff", "y"], undefined],
  age: [30, 29, 31, "30", undefined],
  beta: [true, false, "true", undefined],
  signup: ["2026-01-15", "2026-01-15T23:00:00", "2025-12-31", Date.UTC(2026, 0, 15, 5), Date.UTC(2026, 0, 20) / 1000, "2026-02", undefined],
  appVersion: ["2.1.0", "2.1", "2.0.9", "10.0.0", "2.1.5", 2, undefined],
  nickname: ["", "x", null, undefined],
};

/** Contexts that walk through every pick of every property, some with userId, some with targetingKey. */
function contexts(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => {
    const context: Record<string, unknown> = {};
    Object.entries(PICKS).forEach(([property, picks], k) => {
      const value = picks[(i * (k + 1) + Math.floor(i / picks.length) + k) % picks.length];
      if (value !== undefined) context[property] = value;
    });
    if (i % 3 === 0) context.userId = `user-${i}`;
    else context.targetingKey = `user-${i}`;
    return context;
  });
}

/** The context OFREP evaluates: targetingKey stands for userId. */
const asOfrepSees = (c: Record<string, unknown>) => (c.userId === undefined || c.userId === null ? { ...c, userId: c.targetingKey } : c);

interface Fixture {
  tenant: Tenant;
  projectId: string;
  flags: { key: string; type: FlagType }[];
  archived: string;
}
let fx: Fixture;

async function makeFlag(
  t: Tenant,
  projectId: string,
  key: string,
  type: FlagType,
  variations: { name: string; value: unknown; active?: boolean }[],
  state: (ids: string[]) => Record<string, unknown>,
) {
  const flag = await newFlag(t, projectId, { key, type, variations });
  const ids = flag.variations.map((v: { id: string }) => v.id);
  await json(patchState(t, projectId, key, "production", state(ids)), 200);
  return { key, type };
}

beforeAll(async () => {
  const { tenant, project } = await setup();
  const flags: Fixture["flags"] = [];
  for (const [i, rule] of OPERATOR_RULES.entries()) {
    const type = TYPES[i % 4];
    flags.push(
      await makeFlag(
        tenant,
        project.id,
        `op-${i}-${String(rule.operator).toLowerCase().replaceAll("_", "-")}`,
        type,
        [
          { name: "hit", value: HIT[type] },
          { name: "miss", value: MISS[type] },
        ],
        ([hit, miss]) => ({
          enabled: true,
          conditions: [{ name: String(rule.operator), variation_id: hit, rules: [rule] }],
          rollout_variation_id: miss,
        }),
      ),
    );
  }
  const abc = [
    { name: "A", value: "a" },
    { name: "B", value: "b" },
    { name: "Hidden", value: "h", active: false },
  ];
  flags.push(
    await makeFlag(tenant, project.id, "rollout-40", "string", abc, ([a, b]) => ({
      enabled: true,
      rollout_percentage: 40,
      rollout_variation_id: a,
      default_variation_id: b,
    })),
  );
  flags.push(
    await makeFlag(tenant, project.id, "targeted-rollout", "string", abc, ([a, b, h]) => ({
      enabled: true,
      conditions: [
        {
          variation_id: h,
          rules: [
            { property: "plan", operator: "STR_EQUALS", values: ["vip"] },
            { property: "age", operator: "NUM_GTE", value: 30 },
          ],
        },
      ],
      rollout_percentage: 60,
      rollout_variation_id: b,
      default_variation_id: a,
    })),
  );
  flags.push(
    await makeFlag(
      tenant,
      project.id,
      "disabled",
      "number",
      [
        { name: "one", value: 1 },
        { name: "two", value: 2 },
      ],
      ([, two]) => ({ enabled: false, default_variation_id: two, rollout_percentage: 10 }),
    ),
  );
  flags.push(
    await makeFlag(
      tenant,
      project.id,
      "inactive-default",
      "json",
      [
        { name: "on", value: { a: 1 } },
        { name: "off", value: { a: 0 }, active: false },
      ],
      ([, off]) => ({ enabled: false, default_variation_id: off }),
    ),
  );
  flags.push(
    await makeFlag(
      tenant,
      project.id,
      "static-bool",
      "boolean",
      [
        { name: "Live", value: true },
        { name: "Off", value: false, active: false },
      ],
      () => ({ enabled: true }),
    ),
  );
  const archived = "archived-flag";
  await makeFlag(
    tenant,
    project.id,
    archived,
    "boolean",
    [
      { name: "Live", value: true },
      { name: "Off", value: false },
    ],
    () => ({ enabled: true }),
  );
  await json(patchFlag(tenant, project.id, archived, { archived: true }), 200);
  fx = { tenant, projectId: project.id, flags, archived };
});

const CONTEXTS = contexts(42);

/** A provider on a fresh key every so often: each key has a request budget (SDK_RATE_LIMIT_PER_MINUTE). */
async function sdkClient(name: string): Promise<Client> {
  const key = await newSdkKey(fx.tenant, fx.projectId);
  await OpenFeature.setProviderAndWait(
    name,
    new OFREPProvider({
      baseUrl: ROOT,
      headers: [["Authorization", `Bearer ${key.key}`]],
      fetchImplementation: (req: Request) => exports.default.fetch(req),
    } as ConstructorParameters<typeof OFREPProvider>[0]),
  );
  return OpenFeature.getClient(name);
}

function details(client: Client, type: FlagType, key: string, context: EvaluationContext) {
  if (type === "boolean") return client.getBooleanDetails(key, !MISS.boolean, context);
  if (type === "string") return client.getStringDetails(key, "default", context);
  if (type === "number") return client.getNumberDetails(key, -1, context);
  return client.getObjectDetails(key, { default: true }, context);
}

describe("every flag and context", () => {
  it("covers every operator of the contract and every flag type", () => {
    const operators = new Set(OPERATOR_RULES.map((r) => r.operator));
    expect(operators.size).toBe(33);
    expect(new Set(fx.flags.map((f) => f.type))).toEqual(new Set(TYPES));
  });

  it("the OpenFeature SDK, Flagpost's bulk answer and tggl-core on /tggl/config agree", async () => {
    const server = await newSdkKey(fx.tenant, fx.projectId);
    const config = TgglConfigSchema.parse(await json(tggl(server.key, "/config"), 200)) as ({ slug: string } & TgglFlag)[];
    expect(config.map((f) => f.slug).sort()).toEqual(fx.flags.map((f) => f.key).sort());
    const bySlug = new Map(config.map((f) => [f.slug, f]));
    let client = await sdkClient("agreement-0");
    const throughSdk = new Set(CONTEXTS.slice(0, 24));
    let calls = 0;
    const seen = { reasons: new Set<string>(), hits: 0, misses: 0, inactive: 0 };
    for (const [i, context] of CONTEXTS.entries()) {
      const bulk = OfrepBulkSchema.parse(await json(ofrep(server.key, null, { context }), 200));
      const answers = new Map(bulk.flags.map((f) => [f.key, f]));
      expect([...answers.keys()].sort()).toEqual(fx.flags.map((f) => f.key).sort());
      for (const flag of fx.flags) {
        if (calls++ >= 250) {
          client = await sdkClient(`agreement-${i}`);
          calls = 0;
        }
        const mine = answers.get(flag.key)!;
        if (throughSdk.has(context)) {
          const sdk = await details(client, flag.type, flag.key, context as EvaluationContext);
          expect(sdk.errorCode, `${flag.key} ${JSON.stringify(context)}`).toBeUndefined();
          expect({ value: sdk.value, variant: sdk.variant, reason: sdk.reason }).toEqual({ value: mine.value, variant: mine.variant, reason: mine.reason });
          expect(sdk.flagMetadata).toEqual(mine.metadata);
        }
        const tgglValue = evalFlag(asOfrepSees(context), bySlug.get(flag.key)!);
        expect(tgglValue, `${flag.key} ${JSON.stringify(context)}`).toEqual(mine.metadata.active ? mine.value : undefined);
        seen.reasons.add(mine.reason);
        if (mine.variant === "hit") seen.hits++;
        if (mine.variant === "miss") seen.misses++;
        if (!mine.metadata.active) seen.inactive++;
      }
    }
    // The contexts really exercise the flags: every reason, and both outcomes of the operator flags.
    expect(seen.reasons).toEqual(new Set(["TARGETING_MATCH", "DEFAULT", "SPLIT", "DISABLED", "STATIC"]));
    expect(seen.hits).toBeGreaterThan(200);
    expect(seen.misses).toBeGreaterThan(200);
    expect(seen.inactive).toBeGreaterThan(40);
  }, 60_000);

  it("each operator flag both hits and misses over the contexts", async () => {
    const server = await newSdkKey(fx.tenant, fx.projectId);
    const outcomes = new Map<string, Set<string>>();
    for (const context of CONTEXTS) {
      const bulk = OfrepBulkSchema.parse(await json(ofrep(server.key, null, { context }), 200));
      for (const f of bulk.flags) outcomes.set(f.key, (outcomes.get(f.key) ?? new Set()).add(f.variant));
    }
    for (const flag of fx.flags.filter((f) => f.key.startsWith("op-")))
      expect([flag.key, [...outcomes.get(flag.key)!].sort()]).toEqual([flag.key, ["hit", "miss"]]);
  });

  it("/tggl/flags answers what tggl-core computes from /tggl/config, for one context and for a batch", async () => {
    const server = await newSdkKey(fx.tenant, fx.projectId);
    const config = (await json(tggl(server.key, "/config"), 200)) as ({ slug: string } & TgglFlag)[];
    const expected = (context: Record<string, unknown>) => {
      const values: Record<string, unknown> = {};
      for (const f of config) {
        const v = evalFlag(context, f);
        if (v !== undefined) values[f.slug] = v;
      }
      return values;
    };
    const batch = await json(tggl(server.key, "/flags", { body: CONTEXTS }), 200);
    expect(batch).toEqual(CONTEXTS.map(expected));
    expect(await json(tggl(server.key, "/flags", { body: CONTEXTS[1] }), 200)).toEqual(expected(CONTEXTS[1]));
  });

  it("an archived flag is served by neither protocol: FLAG_NOT_FOUND through the SDK", async () => {
    const client = await sdkClient("archived");
    const sdk = await client.getBooleanDetails(fx.archived, false, { targetingKey: "u" });
    expect(sdk.errorCode).toBe("FLAG_NOT_FOUND");
    expect(sdk.value).toBe(false);
    const server = await newSdkKey(fx.tenant, fx.projectId);
    const single = await ofrep(server.key, fx.archived, { context: {} });
    expect(single.status).toBe(404);
    expect(await single.json()).toEqual({ key: fx.archived, errorCode: "FLAG_NOT_FOUND", errorDetails: expect.any(String) });
  });

  it("single evaluations match the bulk answer", async () => {
    const server = await newSdkKey(fx.tenant, fx.projectId);
    const context = CONTEXTS[5];
    const bulk = OfrepBulkSchema.parse(await json(ofrep(server.key, null, { context }), 200));
    for (const f of bulk.flags.slice(0, 12)) expect(OfrepEvaluationSchema.parse(await json(ofrep(server.key, f.key, { context }), 200))).toEqual(f);
  });

  it("the project's events are numbered like its revisions", async () => {
    const project = await json(call(`/projects/${fx.projectId}`, { token: fx.tenant.key }), 200);
    const server = await newSdkKey(fx.tenant, fx.projectId);
    const bulk = await json(ofrep(server.key, null, { context: {} }), 200);
    expect(bulk.metadata.revision).toBe(project.revision);
  });
});
