// Property-based tests of every write route: random and malformed bodies (wrong types, missing and
// extra fields, huge strings, unicode, control characters, invalid JSON, JSON nested past the limit,
// bytes that are not UTF-8), other content types and credentials, abusive request headers, bad ids in
// the path and bad If-Match headers; and of every list, at every limit, over more than 100 items. The
// fixture's webhooks are enabled, so accepted changes are delivered. Whatever arrives:
//   - the answer is never a 5xx;
//   - a refusal has a status in 400–422 and exactly the contract's error body;
//   - a refused request leaves what is stored as it was (the resources read back over the API, and
//     the row counts, versions and last-change times of every table in D1);
//   - an accepted one answers what a read then shows (nothing altered on the way to storage);
//   - after each route's run, every change reached the audit webhook exactly once and every delivery's
//     attempts add up (auditDeliveries).
// Runs are bounded (RUNS per route) so the file stays well under half a minute.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorSchema } from "../src/kernel/schemas";
import { jsonDepthExceeds, MAX_JSON_DEPTH } from "../src/kernel/json";
import { auditDeliveries, buildFixture, flagF, storedCounts, writeTargets, type Fixture, type Target } from "./fuzz-targets";
import { ADMIN_TOKEN, call, env, json, newFlag, type Tenant } from "./helpers";

const RUNS = 40;
const REFUSALS = [400, 401, 403, 404, 409, 413, 415, 422];

/** What the suite tried and saw, for docs/operating.md's figures (printed at the end). */
const tally = { requests: 0, fiveHundreds: 0, statuses: new Map<number, number>() };
function count(status: number) {
  tally.requests++;
  if (status >= 500) tally.fiveHundreds++;
  tally.statuses.set(status, (tally.statuses.get(status) ?? 0) + 1);
}
afterAll(() => {
  const statuses = [...tally.statuses]
    .sort(([a], [b]) => a - b)
    .map(([s, n]) => `${s}×${n}`)
    .join(" ");
  console.log(`fuzz: ${tally.requests} requests, ${tally.fiveHundreds} 5xx (${statuses})`);
});

let fx: Fixture;
let targets: Target[];
beforeAll(async () => {
  fx = await buildFixture();
  targets = writeTargets(fx);
});
// The names only, for the test titles; the routes themselves are built once the fixture exists.
const ROUTES = writeTargets({ tenant: {} as Tenant, projectId: "", hookId: "", orgHookId: "" }).map((t) => t.route);
/** Every list, with the path of a fixture's page of more than 100 items. */
const LISTS = [
  "/projects",
  "/projects/{projectId}/flags",
  "/projects/{projectId}/events",
  "/projects/{projectId}/webhooks",
  "/webhooks",
  "/projects/{projectId}/webhooks/{webhookId}/deliveries",
  "/me/api-keys",
];

// ——— Arbitraries ———

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const oddString = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "\r\n",
    "a\u001bb",
    "\u007f",
    "x\ty",
    "\u2028",
    "\u202e",
    "é",
    "🚩🏳️‍🌈",
    "<script>",
    "' OR 1=1 --",
    "__proto__",
    "-1",
    "NaN",
    "#zzzzzz",
  ),
  // Lone surrogates: JSON can carry them as escapes, UTF-8 storage cannot.
  fc.constantFrom("\ud800", "x\udfffy", "\ud83d"),
  fc.integer({ min: 200, max: 140_000 }).map((n) => "a".repeat(n)),
);
/** Words of the domain, so mutations also reach the checks behind the type checks. */
const domainWord = fc.constantFrom(
  "$live",
  "$off",
  "boolean",
  "string",
  "number",
  "json",
  "STR_EQUALS",
  "NUM_GT",
  "DATE_IS",
  "SEMVER_GTE",
  "STR_REGEXP",
  "PERCENTAGE",
  "IS_TRUE",
  "flag.toggled",
  "flag.created",
  "webhook.test",
  "rollgate",
  "tggl",
  "production",
  "development",
  "f",
  `${env.RECEIVER_URL}/ok/fuzz`,
  "https://127.0.0.1/",
  "ftp://x",
  // Patterns (v1.2): one V8 backtracks on (accepted, matched by RE2), and refused ones.
  "^(a+)+$",
  "(?=a)",
  "(a)\\1",
  "\\p{L}",
  "[a]{1,1000}[a]{1,1000}",
  "a".repeat(257),
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

type Body =
  | { raw: string }
  | { json: unknown }
  | { muts: Mutation[] }
  | { truncated: Mutation[]; at: number }
  /** A field of the valid body replaced by a value `deep` levels deep. */
  | { deep: number; field: string }
  /** The valid body's bytes with a sequence that is not UTF-8 put in at `at`. */
  | { bytes: number[]; at: number }
  | null;

/** A JSON value `depth` containers deep, alternating arrays and objects. */
function nested(depth: number): unknown {
  let value: unknown = "v";
  for (let i = 0; i < depth; i++) value = i % 2 ? { v: value } : [value];
  return value;
}

/** Overlong forms, lone continuation bytes, encoded surrogates, bytes UTF-8 never uses, a truncated sequence. */
const NOT_UTF8 = [
  [0xff],
  [0xfe, 0xff],
  [0xc3, 0x28],
  [0x80],
  [0xc0, 0xaf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xe2, 0x82],
];

function bodies(t: Target): fc.Arbitrary<Body> {
  if (!t.valid)
    return fc.oneof(
      fc.constant(null),
      fc.jsonValue({ maxDepth: 2 }).map((json) => ({ json })),
    );
  const valid = t.valid();
  const depth = fc.oneof(fc.integer({ min: MAX_JSON_DEPTH - 4, max: MAX_JSON_DEPTH + 4 }), fc.constantFrom(100, 2500, 5000));
  return fc.oneof(
    { weight: 6, arbitrary: mutations(valid).map((muts) => ({ muts })) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((json) => ({ json })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((raw) => ({ raw })) },
    { weight: 1, arbitrary: fc.tuple(mutations(valid), fc.nat()).map(([truncated, at]) => ({ truncated, at })) },
    { weight: 1, arbitrary: fc.record({ deep: depth, field: fc.constantFrom(...Object.keys(valid), "extra") }) },
    { weight: 1, arbitrary: fc.record({ bytes: fc.constantFrom(...NOT_UTF8), at: fc.nat() }) },
    { weight: 1, arbitrary: fc.constant(null) },
  );
}

/** Request headers a careless or hostile client sends, beside the route's own. */
const abusiveHeaders: fc.Arbitrary<Record<string, string> | null> = fc.option(
  fc.oneof(
    fc.constant({ "user-agent": "Flagpost-Webhooks/1.0.0" }),
    fc.constantFrom("garbage", "00000000-00000009-00000000-00000000000000000000000000000000", "../../x", "0".repeat(300)).map((b) => ({ "x-d1-bookmark": b })),
    fc.constant({ "x-api-key": "fp_not-a-key" }),
    fc.constant({ "x-forwarded-host": "evil.example.com", "x-forwarded-proto": "http" }),
    fc.constant({ accept: "text/html" }),
    fc.constant({ "x-long": "x".repeat(8000) }),
    fc.ipV4().map((ip) => ({ "cf-connecting-ip": ip })),
  ),
  { freq: 3 },
);

const contentTypes = fc.oneof(
  { weight: 8, arbitrary: fc.constant("application/json") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "application/json; charset=utf-8",
      "text/plain",
      "application/x-www-form-urlencoded",
      "",
      "application/json;",
      "application/jsonx",
      "text/json",
      "application/a+b+json",
      "APPLICATION/JSON",
    ),
  },
  { weight: 1, arbitrary: printable },
);

const credentials = fc.oneof({ weight: 12, arbitrary: fc.constant("valid") }, { weight: 1, arbitrary: fc.constantFrom("none", "admin", "api-key", "garbage") });

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
    extra: abusiveHeaders,
  });
}

function tokenFor(t: Target, credential: string): string | undefined {
  if (credential === "valid") return t.token();
  if (credential === "admin") return ADMIN_TOKEN;
  if (credential === "api-key") return fx.tenant.key;
  if (credential === "garbage") return "fp_not-a-key";
  return undefined;
}

function bodyText(t: Target, body: Body, ids: { live: string; off: string }): string | Uint8Array | undefined {
  if (body === null) return undefined;
  const valid = t.valid?.() ?? {};
  const text =
    "raw" in body
      ? body.raw
      : "json" in body
        ? JSON.stringify(body.json)
        : "muts" in body
          ? JSON.stringify(apply(valid, body.muts))
          : "truncated" in body
            ? JSON.stringify(apply(valid, body.truncated))
            : "deep" in body
              ? JSON.stringify(apply(valid, [{ kind: "set", field: body.field, value: nested(body.deep) }]))
              : JSON.stringify(valid);
  if (text === undefined) return undefined;
  const filled = text.replaceAll('"$live"', JSON.stringify(ids.live)).replaceAll('"$off"', JSON.stringify(ids.off));
  if ("bytes" in body) {
    const encoded = new TextEncoder().encode(filled);
    const at = body.at % (encoded.length + 1);
    return new Uint8Array([...encoded.subarray(0, at), ...body.bytes, ...encoded.subarray(at)]);
  }
  return "truncated" in body ? filled.slice(0, body.at % Math.max(1, filled.length)) : filled;
}

/** Whether the body is one the contract refuses whatever else the request says: too deep, or not UTF-8. */
function beyondLimits(body: string | Uint8Array | undefined): boolean {
  if (body === undefined) return false;
  if (typeof body !== "string") return true;
  return jsonDepthExceeds(body, MAX_JSON_DEPTH);
}

describe("fuzzing every write route", () => {
  it.each(ROUTES)("%s: never a 5xx; a refusal has the error shape and changes nothing; an acceptance is what is stored", async (route) => {
    const t = targets.find((x) => x.route === route)!;
    await reportable(
      fc.assert(
        fc.asyncProperty(request(t), async (req) => {
          await t.prepare?.();
          const flag = await flagF(fx);
          const ids = t.ids();
          if (req.badId) ids[req.badId[0]] = req.badId[1];
          const body = bodyText(t, req.body, { live: flag.variations[0].id, off: flag.variations[1].id });
          const headers: Record<string, string> = {};
          if (body !== undefined && req.contentType) headers["content-type"] = req.contentType;
          if (req.ifMatch !== undefined) headers["if-match"] = req.ifMatch;
          const token = tokenFor(t, req.credential);
          if (token) headers.authorization = `Bearer ${token}`;
          Object.assign(headers, req.extra ?? {});

          const before = { stored: await storedCounts(), view: await t.view() };
          const path = t.path(ids);
          const res = await call(path, { method: t.method, rawBody: body, headers });
          const text = await res.text();
          count(res.status);
          expect(res.status, text).toBeLessThan(500);
          if (req.extra?.["user-agent"]) expect(JSON.parse(text).error.code).toBe("webhook_loop");
          else if (t.method !== "DELETE" && beyondLimits(body)) expect([400, 413, 415], text).toContain(res.status);
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
      ),
    );
    const audited = await auditDeliveries(fx);
    expect(audited.deliveries).toBeGreaterThanOrEqual(audited.events);
  });
});

describe("fuzzing every list over more than 100 items", () => {
  let paths: Record<string, string>;
  beforeAll(async () => {
    const { tenant, projectId, auditHookId } = fx;
    const batches = async (n: number, make: (i: number) => Promise<unknown>) => {
      for (let i = 0; i < n; i += 10) await Promise.all(Array.from({ length: Math.min(10, n - i) }, (_, j) => make(i + j)));
    };
    await batches(101, (i) => json(call("/projects", { token: tenant.key, body: { key: `many-${i}`, name: `Many ${i}` } }), 201));
    await batches(101, (i) => newFlag(tenant, projectId, { key: `many-${i}` }));
    await batches(101, () => json(call(`/admin/users/${tenant.userId}/api-keys`, { token: ADMIN_TOKEN, body: { name: "many" } }), 201));
    // A scope holds at most 100 webhooks through the API; the 101st and more are written directly.
    for (const scope of [projectId, null]) {
      const from = scope ? fx.hookId : fx.orgHookId;
      await env.DB.batch(
        Array.from({ length: 101 }, () =>
          env.DB.prepare(
            `INSERT INTO webhooks (id, org_id, project_id, name, url, events, secret, headers, headers_masked, environments, format, enabled, created_at, updated_at)
             SELECT ?1, org_id, project_id, name, url, events, secret, headers, headers_masked, environments, format, 0, created_at, updated_at FROM webhooks WHERE id = ?2`,
          ).bind(crypto.randomUUID(), from),
        ),
      );
    }
    paths = Object.fromEntries(LISTS.map((l) => [l, l.replace("{projectId}", projectId).replace("{webhookId}", auditHookId!)]));
  }, 60_000);

  const limits = fc.oneof(fc.integer({ min: 1, max: 200 }), fc.constantFrom(100, 101, 199, 200), fc.constantFrom(0, 201, -1, 1.5, "abc", "", "1e2"));
  const cursors = fc.option(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom("MTAx", "LTE=", "MA", "%00", "eyJ9")), { freq: 3 });

  it.each(LISTS)("GET %s: never a 5xx; a page holds at most `limit` items, and walking every page at limit=200 sees each once", async (list) => {
    const path = paths[list];
    await reportable(
      fc.assert(
        fc.asyncProperty(limits, cursors, async (limit, cursor) => {
          const query = new URLSearchParams({ limit: String(limit), ...(cursor === null ? {} : { cursor }) });
          const res = await call(`${path}?${query}`, { token: fx.tenant.key });
          const text = await res.text();
          count(res.status);
          expect(res.status, text).toBeLessThan(500);
          if (res.status !== 200) return void expect(res.status, text).toBe(400);
          const page = JSON.parse(text) as { data: unknown[]; next_cursor: string | null };
          expect(page.data.length).toBeLessThanOrEqual(Number(limit));
        }),
        { numRuns: 25 },
      ),
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: { id: string }[]; next_cursor: string | null } = await json(
        call(`${path}?limit=200${cursor ? `&cursor=${cursor}` : ""}`, { token: fx.tenant.key }),
        200,
      );
      count(200);
      seen.push(...page.data.map((d) => d.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen.length).toBeGreaterThan(100);
    expect(new Set(seen).size).toBe(seen.length);
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
