// OpenFeature's provider conformance kit, asked of Flagpost through the real OFREP providers: the
// server SDK with @openfeature/ofrep-provider (one request per evaluation) and the web SDK with
// @openfeature/ofrep-web-provider (one bulk request per context, then evaluations from its cache).
// The canonical flags are built through the public API; the cases are rows in test/provider-tck.ts.
//
// Both SDKs run here, inside workerd, unchanged; only their transport is handed the Worker in-process
// (the providers' own `fetchImplementation` option). The web provider keeps no persistent cache
// (workerd has no localStorage) and does not poll: these cases read one configuration.
//
// A row runs when every tag gating it is declared for the path; any other row is reported skipped
// with the reason its tag is not declared, never passed.
import { OFREPProvider } from "@openfeature/ofrep-provider";
import { OFREPWebProvider } from "@openfeature/ofrep-web-provider";
import { OpenFeature as ServerFeatures, type EvaluationContext } from "@openfeature/server-sdk";
import { OpenFeature as WebFeatures, ProviderEvents, ProviderStatus } from "@openfeature/web-sdk";
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { OfrepBulkSchema } from "../src/serve/schemas";
import { json, newFlag, patchState, setup, type Tenant } from "./helpers";
import { ABSENT_FLAG, BY_DESIGN, CANONICAL_FLAGS, KIT_CASES, LIFECYCLE_SCENARIOS, type CanonicalFlag, type Expected, type KitCase } from "./provider-tck";
import { newSdkKey, ofrep, ROOT } from "./serve-helpers";

/** The kit's capabilities Flagpost declares through both providers, and why each holds. */
const DECLARED: Record<string, string> = {
  "@variants": "an OFREP answer names the served variation: variant is the variation's name",
  "@object": "json flags serve structured values",
  "@large-integers": "values are stored and served as JSON, and JavaScript's one number holds 2^53 - 1 exactly",
  "@targeting": "conditions' rules read context properties; a context's targetingKey stands for userId",
  "@string-typing": "flags are typed (boolean, string, number, json) and OFREP carries JSON types: a boolean or number is never a string",
  "@fully-typed-values": "numbers and structures are JSON types of their own too",
  "@standard-reasons": "STATIC without conditions, TARGETING_MATCH, DEFAULT when conditions exist and none matched, DISABLED and ERROR mean what the kit says",
};

/** Declared for the web provider only. */
const WEB_DECLARED: Record<string, string> = {
  ...DECLARED,
  "@lifecycle": "the web provider's initialisation fetches every flag from Flagpost: READY is Flagpost's answer, not one the SDK made up",
};

/** The kit's capabilities not declared (for the server path, or for both), each with the reason. */
const NOT_DECLARED: Record<string, string> = {
  "@disabled-flags": "by design: a disabled flag serves its default variation with reason DISABLED, not the caller's default (asserted below)",
  "@numeric-coercion": "not askable in JavaScript: one number accessor, so integer and float (10 and 10.0) cannot be told apart",
  "@events": "the server OFREP provider emits no events; the web provider's change detection belongs with the event-stream tests, in Node",
  "@configuration-change": "gated with @events: change detection belongs to the event-stream tests",
  "@stale": "gated with @events, and needs a backend outage this in-process Worker cannot simulate",
  "@lifecycle": "server provider only: its initialisation does not reach Flagpost (it asks per evaluation), so READY would be the SDK's own",
  "@unavailable": "needs an unreachable backend; a failing fetch here would test only the provider",
  "@reinitialization":
    "web provider 0.4.3 refuses reuse after shutdown (measured: initialising again fails, 'the provider has been closed'), which the specification permits",
  "@caching": "reserved by the kit, not declarable",
};

type Evaluation = { value: unknown; variant?: string; reason?: string; errorCode?: string; errorMessage?: string };
type Asked = Pick<KitCase, "flag" | "type" | "defaultValue" | "targetingKey">;

let tenant: Tenant;
let projectId: string;

async function seed(t: Tenant, project: string, flag: CanonicalFlag) {
  const created = await newFlag(t, project, { key: flag.key, type: flag.type, variations: flag.variations.map(([name, value]) => ({ name, value })) });
  const idOf = (name: string) => created.variations.find((v: { name: string }) => v.name === name).id;
  const served = idOf(flag.serves);
  const rules = flag.targeting ? [{ property: "userId", operator: "STR_EQUALS", values: [flag.targeting.targetingKey] }] : [];
  const conditions = flag.targeting ? [{ name: "targeting key", variation_id: idOf(flag.targeting.variant), rules }] : [];
  const state = { enabled: flag.enabled, rollout_variation_id: served, default_variation_id: served, conditions };
  await json(patchState(t, project, flag.key, "production", state), 200);
}

beforeAll(async () => {
  const { tenant: t, project } = await setup();
  for (const flag of CANONICAL_FLAGS) await seed(t, project.id, flag);
  tenant = t;
  projectId = project.id;
});

const gate = (tags: string[], declared: Record<string, string>) => tags.find((tag) => !(tag in declared));
const skipped = (name: string, tag: string) => `${name} — skipped: ${tag} ${NOT_DECLARED[tag]}`;
const context = (c: Asked) => (c.targetingKey ? `, targetingKey ${c.targetingKey.slice(0, 8)}` : "");
const title = (c: KitCase) => `${c.feature}: ${c.scenario} | ${c.flag} as ${c.type}, default ${JSON.stringify(c.defaultValue)}${context(c)}`;
const DISABLED_ROWS = KIT_CASES.filter((c) => c.tags.includes("@disabled-flags"));

/** What the kit asserts of a row: value, variant, reason and error code, and no error message on success. */
function expectCase(got: Evaluation, expected: Expected) {
  expect({ value: got.value, variant: got.variant, reason: got.reason, errorCode: got.errorCode }).toEqual(expected);
  if (expected.errorCode === undefined) expect(got.errorMessage ?? "").toBe("");
}

/** Every row of the kit, run or skipped with its reason; and what a disabled flag serves instead. */
function kitCases(declared: Record<string, string>, evaluate: (c: Asked) => Evaluation | Promise<Evaluation>) {
  for (const c of KIT_CASES) {
    const tag = gate(c.tags, declared);
    if (tag) it.skip(skipped(title(c), tag), () => {});
    else it(title(c), async () => expectCase(await evaluate(c), c.expected));
  }
  it("by design: a disabled flag serves its default variation, reason DISABLED, not the caller's default", async () => {
    expect(DISABLED_ROWS.length).toBe(5);
    for (const c of DISABLED_ROWS) expectCase(await evaluate(c), BY_DESIGN[c.flag]);
  });
}

const fetchWorker = (req: Request) => exports.default.fetch(req);

describe("the kit's declaration", () => {
  it("every tag of the kit is declared or not declared with a reason, and none is both", () => {
    const tags = new Set([...KIT_CASES, ...LIFECYCLE_SCENARIOS].flatMap((c) => c.tags));
    for (const tag of tags) expect([tag, tag in WEB_DECLARED || tag in NOT_DECLARED]).toEqual([tag, true]);
    expect(Object.keys(DECLARED).filter((tag) => tag in NOT_DECLARED)).toEqual([]);
    expect(KIT_CASES.length).toBe(56);
  });

  it("Flagpost serves the canonical set: every flag, and no missing-flag", async () => {
    const key = await newSdkKey(tenant, projectId);
    const bulk = OfrepBulkSchema.parse(await json(ofrep(key.key, null, { context: {} }), 200));
    expect(bulk.flags.map((f) => f.key).sort()).toEqual(CANONICAL_FLAGS.map((f) => f.key).sort());
    expect(bulk.flags.some((f) => f.key === ABSENT_FLAG)).toBe(false);
  });
});

describe("through the server SDK and the OFREP provider", () => {
  let client: ReturnType<typeof ServerFeatures.getClient>;
  let provider: OFREPProvider;
  beforeAll(async () => {
    const key = await newSdkKey(tenant, projectId);
    const options = { baseUrl: ROOT, headers: [["Authorization", `Bearer ${key.key}`]], fetchImplementation: fetchWorker };
    provider = new OFREPProvider(options as ConstructorParameters<typeof OFREPProvider>[0]);
    await ServerFeatures.setProviderAndWait("provider-tck", provider);
    client = ServerFeatures.getClient("provider-tck");
  });

  it("metadata: the provider identifies itself by name", () => {
    expect(client.metadata.providerMetadata.name.trim()).not.toBe("");
    expect(client.metadata.providerMetadata.name).toBe(provider.metadata.name); // the OFREP provider's, not the no-op one's
  });
  kitCases(DECLARED, (c) => {
    const context: EvaluationContext = c.targetingKey ? { targetingKey: c.targetingKey } : {};
    if (c.type === "Boolean") return client.getBooleanDetails(c.flag, c.defaultValue as boolean, context);
    if (c.type === "String") return client.getStringDetails(c.flag, c.defaultValue as string, context);
    if (c.type === "Object") return client.getObjectDetails(c.flag, c.defaultValue as Record<string, never>, context);
    return client.getNumberDetails(c.flag, c.defaultValue as number, context);
  });
  for (const s of LIFECYCLE_SCENARIOS) it.skip(skipped(`${s.feature}: ${s.scenario}`, gate(s.tags, DECLARED)!), () => {});
});

describe("through the web SDK and the OFREP web provider", () => {
  let key: string;
  const webProvider = () =>
    new OFREPWebProvider({
      baseUrl: ROOT,
      headers: [["Authorization", `Bearer ${key}`]],
      fetchImplementation: fetchWorker,
      cacheMode: "disabled",
      changeDetection: "none",
    });
  // The web SDK's context is static, set per domain: one domain (and one bulk request) per context the rows use.
  const domain = (targetingKey?: string) => `provider-tck-web-${targetingKey ?? "none"}`;
  const providers = new Map<string, OFREPWebProvider>();
  beforeAll(async () => {
    key = (await newSdkKey(tenant, projectId, "production", "client")).key;
    for (const targetingKey of new Set(KIT_CASES.map((c) => c.targetingKey))) {
      const provider = webProvider();
      await WebFeatures.setProviderAndWait(domain(targetingKey), provider, targetingKey ? { targetingKey } : {});
      providers.set(domain(targetingKey), provider);
    }
  });

  it("metadata: the provider identifies itself by name", () => {
    expect(providers.size).toBe(3);
    for (const [name, provider] of providers) {
      expect(WebFeatures.getClient(name).metadata.providerMetadata.name.trim()).not.toBe("");
      expect(WebFeatures.getClient(name).metadata.providerMetadata.name).toBe(provider.metadata.name);
    }
  });
  kitCases(WEB_DECLARED, (c) => {
    const client = WebFeatures.getClient(domain(c.targetingKey));
    if (c.type === "Boolean") return client.getBooleanDetails(c.flag, c.defaultValue as boolean);
    if (c.type === "String") return client.getStringDetails(c.flag, c.defaultValue as string);
    if (c.type === "Object") return client.getObjectDetails(c.flag, c.defaultValue as Record<string, never>);
    return client.getNumberDetails(c.flag, c.defaultValue as number);
  });

  const lifecycle: Record<string, () => Promise<void>> = {
    "A provider that successfully initializes becomes ready": async () => {
      await WebFeatures.setProviderAndWait("provider-tck-web-ready", webProvider(), {});
      const client = WebFeatures.getClient("provider-tck-web-ready");
      let ran = 0;
      client.addHandler(ProviderEvents.Ready, () => void ran++); // a handler added once ready runs at once
      expect(ran).toBe(1);
      expect(client.providerStatus).toBe(ProviderStatus.READY);
    },
    "Shutting down a provider twice has no further effect": async () => {
      const provider = webProvider();
      await WebFeatures.setProviderAndWait("provider-tck-web-shutdown", provider, {});
      const shutDown = () => (provider.onClose ? provider.onClose() : Promise.reject(new Error("the provider has no shutdown")));
      await shutDown();
      await expect(shutDown()).resolves.toBeUndefined();
    },
  };
  for (const s of LIFECYCLE_SCENARIOS) {
    const tag = gate(s.tags, WEB_DECLARED);
    const steps = lifecycle[s.scenario] ?? (() => Promise.reject(new Error("a declared scenario has no steps")));
    if (tag) it.skip(skipped(`${s.feature}: ${s.scenario}`, tag), () => {});
    else it(`${s.feature}: ${s.scenario}`, steps);
  }
});
