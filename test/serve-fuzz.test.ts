// Property-based tests of the evaluation routes: random JSON and non-JSON bodies, odd flag keys,
// min_revision values and If-None-Match headers, with server, client and wrong keys. Whatever
// arrives, the answer is never a 5xx, and a refusal is a 4xx in the protocol's own shape.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { OfrepErrorSchema } from "../src/serve/schemas";
import { ErrorSchema } from "../src/kernel/schemas";
import { json, newFlag, patchState, setup } from "./helpers";
import { newSdkKey, root } from "./serve-helpers";

const RUNS = 150;
let keys: { server: string; client: string; api: string };

beforeAll(async () => {
  const { tenant, project } = await setup();
  const flag = await newFlag(tenant, project.id, { key: "checkout" });
  await json(
    patchState(tenant, project.id, "checkout", "production", {
      enabled: true,
      rollout_percentage: 40,
      conditions: [
        {
          variation_id: flag.variations[0].id,
          rules: [
            { property: "email", operator: "STR_REGEXP", value: "^[a-z]+@x\\.com$" },
            { property: "signup", operator: "DATE_IS", value: "2026-01-15" },
          ],
        },
        {
          variation_id: flag.variations[1].id,
          rules: [
            { property: "tags", operator: "ARR_OVERLAP", values: ["a"] },
            { property: "v", operator: "SEMVER_GTE", value: "1.2" },
          ],
        },
      ],
    }),
    200,
  );
  keys = { server: (await newSdkKey(tenant, project.id)).key, client: (await newSdkKey(tenant, project.id, "production", "client")).key, api: tenant.key };
});

const jsonish = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.record({ context: fc.jsonValue({ maxDepth: 4 }) }).map((v) => JSON.stringify(v)),
  fc
    .dictionary(
      fc.constantFrom("email", "signup", "tags", "v", "userId", "targetingKey", "__proto__", "constructor", "toString"),
      fc.jsonValue({ maxDepth: 2 }),
    )
    .map((context) => JSON.stringify({ context })),
  fc.constantFrom("", "{", "null", '{"context":', "\u0000", '{"context":{"a":1}}garbage', "[".repeat(100) + "]".repeat(100)),
  fc.string({ maxLength: 50 }),
);
// Dot segments ("..", "%2e%2e") are resolved by the URL itself and leave the OFREP routes: not keys.
const flagKey = fc.oneof(
  fc.constant("checkout"),
  fc.constant("missing"),
  fc
    .string({ maxLength: 20 })
    .map(encodeURIComponent)
    .filter((k) => k !== "." && k !== ".."),
  fc.constantFrom("a%00b", "%2F", "x".repeat(70), "Checkout", "a.b"),
);
const header = fc.oneof(fc.constant(undefined), fc.string({ maxLength: 30 }), fc.constantFrom('"x"', "*", "W/", '"a", W/"b"', "-1", "99999999999999999999"));
const credential = fc.constantFrom<"server" | "client" | "api" | "none" | "bogus">("server", "client", "api", "none", "bogus");
const query = fc.oneof(
  fc.constant(""),
  fc.string({ maxLength: 10 }).map((s) => `?min_revision=${encodeURIComponent(s)}`),
  fc.constantFrom("?min_revision=0", "?min_revision=1", "?min_revision=999"),
);

function keyOf(c: "server" | "client" | "api" | "none" | "bogus"): string | null {
  return c === "none" ? null : c === "bogus" ? "fpsdk_server_nope" : keys[c];
}

async function expectProtocolAnswer(res: Response, protocol: "ofrep" | "tggl") {
  const text = await res.text();
  expect(res.status, text).toBeLessThan(500);
  if (res.status < 400) return;
  const body = JSON.parse(text);
  if (protocol === "ofrep" && (res.status === 400 || res.status === 404)) OfrepErrorSchema.strict().parse(body);
  else ErrorSchema.parse(body);
}

describe("the evaluation routes under random input", () => {
  it("OFREP never answers 5xx, and refuses in OFREP's shape", async () => {
    await fc.assert(
      fc.asyncProperty(flagKey, jsonish, header, header, credential, query, fc.boolean(), async (key, body, ifNoneMatch, minHeader, cred, q, bulk) => {
        const k = keyOf(cred);
        const headers: Record<string, string> = { "content-type": "application/json", ...(k ? { authorization: `Bearer ${k}` } : {}) };
        if (ifNoneMatch !== undefined) headers["if-none-match"] = ifNoneMatch;
        if (minHeader !== undefined && /^[\x20-\x7e]*$/.test(minHeader)) headers["x-flagpost-min-revision"] = minHeader;
        if (ifNoneMatch !== undefined && !/^[\x20-\x7e]*$/.test(ifNoneMatch)) delete headers["if-none-match"];
        const path = bulk ? "/ofrep/v1/evaluate/flags" : `/ofrep/v1/evaluate/flags/${key}`;
        await expectProtocolAnswer(await root(path + q, { method: "POST", headers, body }), "ofrep");
      }),
      { numRuns: RUNS },
    );
  });

  it("/tggl never answers 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("/config", "/flags", "/report"), jsonish, credential, query, async (path, body, cred, q) => {
        const k = keyOf(cred);
        const headers: Record<string, string> = { "content-type": "application/json", ...(k ? { "x-tggl-api-key": k } : {}) };
        const init = path === "/config" ? { headers } : { method: "POST", headers, body };
        await expectProtocolAnswer(await root(`/tggl${path}${q}`, init), "tggl");
      }),
      { numRuns: RUNS },
    );
  });
});

// v1.2: stored patterns of every shape (catastrophic in V8, refused, near the length limit) and
// contexts up to and past 32 KiB. A pattern is accepted or refused with 400; an evaluation is
// answered (200), refused for its size (413) or its cost (400 INVALID_CONTEXT): never a 5xx.
const patternPiece = fc.constantFrom(
  "a",
  "a+",
  "(a+)+",
  "(a|a)*",
  "\\w+",
  "\\s?",
  ".*",
  "[a-z]",
  "[^@]+",
  "@",
  "\\.",
  "(?=a)",
  "\\1",
  "{2}",
  "{1,1000}",
  "😀",
  "\\p{L}",
  "(",
  ")",
  "[",
  "$",
  "^",
  "|",
  "\\",
);
const storedPattern = fc.array(patternPiece, { minLength: 1, maxLength: 40 }).map((p) => p.join(""));
const bigValue = fc.oneof(
  fc.nat(40_000).map((n) => "a".repeat(n)),
  fc.nat(16_000).map((n) => "é".repeat(n)),
  fc.nat(4_000).map((n) => Array.from({ length: n }, (_, i) => `t${i % 50}`)),
  fc.string({ maxLength: 64 }),
);

describe("patterns and large contexts under random input (v1.2)", () => {
  it("a stored pattern is accepted or refused with 400, and no context makes an evaluation fail with a 5xx", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id, { key: "rx" });
    const client = (await newSdkKey(tenant, project.id, "production", "client")).key;
    await fc.assert(
      fc.asyncProperty(storedPattern, fc.dictionary(fc.constantFrom("email", "tags", "userId", "x"), bigValue, { maxKeys: 3 }), async (pattern, context) => {
        const res = await patchState(tenant, project.id, "rx", "production", {
          enabled: true,
          conditions: [
            {
              variation_id: flag.variations[0].id,
              rules: [
                { property: "email", operator: "STR_REGEXP", value: pattern },
                { property: "tags", operator: "ARR_NOT_OVERLAP", values: ["z"] },
              ],
            },
          ],
        });
        expect([200, 400], pattern).toContain(res.status);
        await res.arrayBuffer();
        const evaluated = await root("/ofrep/v1/evaluate/flags/rx", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${client}` },
          body: JSON.stringify({ context }),
        });
        expect([200, 400, 413]).toContain(evaluated.status);
        await expectProtocolAnswer(evaluated, "ofrep");
      }),
      { numRuns: 60 },
    );
  });
});
