// Property-based tests of every write route: random and malformed bodies (wrong types, missing and
// extra fields, huge strings, unicode, invalid JSON), other content types and credentials, bad ids
// in the path and bad If-Match headers. Whatever arrives:
//   - the answer is never a 5xx;
//   - a refusal has a status in 400–422 and exactly the contract's error body;
//   - a refused request leaves what is stored as it was (the resources read back over the API, and
//     the row counts, versions and last-change times of every table in D1);
//   - an accepted one answers what a read then shows (nothing altered on the way to storage).
// Runs are bounded (RUNS per route) so the file stays well under half a minute.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorSchema } from "../src/schemas";
import { buildFixture, flagF, storedCounts, writeTargets, type Fixture, type Target } from "./fuzz-targets";
import { ADMIN_TOKEN, call, env, type Tenant } from "./helpers";

const RUNS = 40;
const REFUSALS = [400, 401, 403, 404, 409, 413, 415, 422];

let fx: Fixture;
let targets: Target[];
beforeAll(async () => {
  fx = await buildFixture();
  targets = writeTargets(fx);
});
// The names only, for the test titles; the routes themselves are built once the fixture exists.
const ROUTES = writeTargets({ tenant: {} as Tenant, projectId: "", hookId: "", orgHookId: "" }).map((t) => t.route);

// ——— Arbitraries ———

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const oddString = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.constantFrom("", " ", "\u0000", "\u202e", "é", "🚩🏳️‍🌈", "<script>", "' OR 1=1 --", "__proto__", "-1", "NaN", "#zzzzzz"),
  // Lone surrogates: JSON can carry them as escapes, UTF-8 storage cannot.
  fc.constantFrom("\ud800", "x\udfffy", "\ud83d"),
  fc.integer({ min: 200, max: 140_000 }).map((n) => "a".repeat(n)),
);
/** Words of the domain, so mutations also reach the checks behind the type checks. */
const domainWord = fc.constantFrom(
  "$live", "$off", "boolean", "string", "number", "json", "STR_EQUALS", "NUM_GT", "DATE_IS", "SEMVER_GTE", "STR_REGEXP", "PERCENTAGE", "IS_TRUE",
  "flag.toggled", "flag.created", "webhook.test", "rollgate", "tggl", "production", "development", "f", `${env.RECEIVER_URL}/ok/fuzz`, "https://127.0.0.1/", "ftp://x",
);
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  oddString,
  domainWord,
  fc.uuid(),
  fc.array(domainWord, { maxLength: 3 }),
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, [], {}, [null], { id: null }),
);

type Mutation = { kind: "set"; field: string; value: unknown } | { kind: "drop"; field: string } | { kind: "deep"; path: string[]; value: unknown };

/**
 * One to three changes to a valid body: a field set to anything or dropped, a nested value replaced,
 * or (often) a text value replaced by odd text, which keeps the body valid more often than not and so
 * reaches storage.
 */
function mutations(valid: Record<string, unknown>): fc.Arbitrary<Mutation[]> {
  const fields = [...Object.keys(valid), "version", "extra", "__proto__", "id", "key", "environments"];
  const nested = paths(valid).filter((path) => path.length > 1);
  const texts = paths(valid).filter((path) => typeof path.reduce<any>((node, k) => node[k], valid) === "string");
  const one: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ kind: fc.constant("set" as const), field: fc.constantFrom(...fields), value: anyValue }),
    fc.record({ kind: fc.constant("drop" as const), field: fc.constantFrom(...fields) }),
    ...(nested.length ? [fc.record({ kind: fc.constant("deep" as const), path: fc.constantFrom(...nested), value: anyValue })] : []),
    ...(texts.length ? [fc.record({ kind: fc.constant("deep" as const), path: fc.constantFrom(...texts), value: oddString })] : []),
  );
  return fc.array(one, { minLength: 1, maxLength: 3 });
}

/** Paths to every value of a body, nested ones included. */
function paths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
}

function apply(valid: Record<string, unknown>, muts: Mutation[]): unknown {
  const body = structuredClone(valid);
  for (const m of muts) {
    if (m.kind === "drop") delete body[m.field];
    else if (m.kind === "set") Object.defineProperty(body, m.field, { value: m.value, enumerable: true, writable: true, configurable: true });
    else {
      let node = body as Record<string, unknown>;
      for (const k of m.path.slice(0, -1)) node = (node?.[k] ?? {}) as Record<string, unknown>;
      if (node && typeof node === "object") node[m.path[m.path.length - 1]] = m.value;
    }
  }
  return body;
}

type Body = { raw: string } | { json: unknown } | { muts: Mutation[] } | { truncated: Mutation[]; at: number } | null;

function bodies(t: Target): fc.Arbitrary<Body> {
  if (!t.valid) return fc.oneof(fc.constant(null), fc.jsonValue({ maxDepth: 2 }).map((json) => ({ json })));
  const valid = t.valid();
  return fc.oneof(
    { weight: 6, arbitrary: mutations(valid).map((muts) => ({ muts })) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((json) => ({ json })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((raw) => ({ raw })) },
    { weight: 1, arbitrary: fc.tuple(mutations(valid), fc.nat()).map(([truncated, at]) => ({ truncated, at })) },
    { weight: 1, arbitrary: fc.constant(null) },
  );
}

const contentTypes = fc.oneof(
  { weight: 8, arbitrary: fc.constant("application/json") },
  { weight: 2, arbitrary: fc.constantFrom("application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "", "application/json;", "application/jsonx", "text/json", "application/a+b+json", "APPLICATION/JSON") },
  { weight: 1, arbitrary: printable },
);

const credentials = fc.oneof(
  { weight: 12, arbitrary: fc.constant("valid") },
  { weight: 1, arbitrary: fc.constantFrom("none", "admin", "api-key", "garbage") },
);

const badIds = fc.oneof(
  fc.uuid(),
  fc.constantFrom("00000000-0000-0000-0000-000000000000", "..", "%00", "F", "f".repeat(70), "production", "not-a-uuid", "%2F"),
  fc.string({ unit: "grapheme", maxLength: 20 }).map((s) => encodeURIComponent(s)),
);

const ifMatches = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.constantFrom("1", '"1"', 'W/"1"', "2", "*", "0", "-1", "99999999999999999999", 'W/"x"', '"', "1, 2", "W/", "1.0", " 1 ") },
  { weight: 1, arbitrary: printable },
);

function request(t: Target) {
  const slots = Object.keys(t.ids());
  return fc.record({
    body: bodies(t),
    contentType: contentTypes,
    credential: credentials,
    badId: slots.length ? fc.option(fc.tuple(fc.constantFrom(...slots), badIds), { freq: 4 }) : fc.constant(null),
    ifMatch: t.ifMatch ? ifMatches : fc.constant(undefined),
  });
}

function tokenFor(t: Target, credential: string): string | undefined {
  if (credential === "valid") return t.token();
  if (credential === "admin") return ADMIN_TOKEN;
  if (credential === "api-key") return fx.tenant.key;
  if (credential === "garbage") return "fp_not-a-key";
  return undefined;
}

function bodyText(t: Target, body: Body, ids: { live: string; off: string }): string | undefined {
  if (body === null) return undefined;
  const valid = t.valid?.() ?? {};
  const text = "raw" in body ? body.raw : "json" in body ? JSON.stringify(body.json) : "muts" in body ? JSON.stringify(apply(valid, body.muts)) : JSON.stringify(apply(valid, body.truncated));
  if (text === undefined) return undefined;
  const filled = text.replaceAll('"$live"', JSON.stringify(ids.live)).replaceAll('"$off"', JSON.stringify(ids.off));
  return "at" in body ? filled.slice(0, body.at % Math.max(1, filled.length)) : filled;
}

describe("fuzzing every write route", () => {
  it.each(ROUTES)("%s: never a 5xx; a refusal has the error shape and changes nothing; an acceptance is what is stored", async (route) => {
    const t = targets.find((x) => x.route === route)!;
    await reportable(fc.assert(
      fc.asyncProperty(request(t), async (req) => {
        const flag = await flagF(fx);
        const ids = t.ids();
        if (req.badId) ids[req.badId[0]] = req.badId[1];
        const body = bodyText(t, req.body, { live: flag.variations[0].id, off: flag.variations[1].id });
        const headers: Record<string, string> = {};
        if (body !== undefined && req.contentType) headers["content-type"] = req.contentType;
        if (req.ifMatch !== undefined) headers["if-match"] = req.ifMatch;
        const token = tokenFor(t, req.credential);
        if (token) headers.authorization = `Bearer ${token}`;

        const before = { stored: await storedCounts(), view: await t.view() };
        const path = t.path(ids);
        const res = await call(path, { method: t.method, rawBody: body, headers });
        const text = await res.text();
        expect(res.status, text).toBeLessThan(500);
        if (res.status >= 400) {
          expect(REFUSALS, text).toContain(res.status);
          const parsed = JSON.parse(text);
          expect(Object.keys(parsed)).toEqual(["error"]);
          expect(Object.keys(parsed.error).every((k) => ["code", "message", "details", "request_id"].includes(k))).toBe(true);
          ErrorSchema.parse(parsed);
          expect(parsed.error.request_id).toBe(res.headers.get("x-request-id"));
          expect({ stored: await storedCounts(), view: await t.view() }).toEqual(before);
        } else {
          expect([200, 201, 204], text).toContain(res.status);
          await t.accepted(res.status === 204 ? null : JSON.parse(text), path);
        }
      }),
      { numRuns: RUNS },
    ));
  });
});

/** A failure quotes its counterexample, which may hold lone surrogates: the runner's report channel takes only well-formed text. */
async function reportable(run: Promise<void>): Promise<void> {
  try {
    await run;
  } catch (err) {
    throw new Error(String((err as Error).message).toWellFormed());
  }
}
