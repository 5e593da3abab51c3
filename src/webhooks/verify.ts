// The verification debugger (CONTRACT.md, "Receivers' toolkit"): given the headers and raw body a
// receiver got, say what is wrong in words it can act on. Pure: the route loads the webhook's secrets,
// its public key and the body Flagpost sent, and passes them in with the time.
//
// The checks, each `{check, ok, detail}`, in the order a receiver meets them: the signature headers
// (missing, malformed), the timestamp (outside five minutes), each signature (which secret made it: the
// receiver's, the webhook's current one, the previous one of a rotation, none), and the body (identical,
// the same JSON re-serialized — the usual mistake — or different, and where).
import type { VerifyCheck, VerifyResult } from "./receiver-schemas";
import { fromBase64, toBase64, toHex } from "../kernel/encoding";
import { canonicalJson } from "../kernel/json";
import { hmac, importSigningKey } from "../outbound/sign";

export const TIMESTAMP_TOLERANCE_SECONDS = 300;

export interface VerifyInput {
  /** As the receiver got them; names are compared case-insensitively. */
  headers: Record<string, string>;
  body: string;
  /** The secret the receiver verifies with, when it says. */
  givenSecret?: string | null;
  /** The webhook's, when a webhook was named. */
  webhook?: { secret: string | null; previousSecret: { secret: string; expiresAt: number } | null; publicKey: string | null } | null;
  /** What Flagpost sent for the delivery in `webhook-id`: undefined when not looked up, null when there is no such delivery. */
  sentBody?: string | null;
  now: number;
}

interface Candidate {
  secret: string;
  /** How the detail names it. */
  label: string;
  role: "given" | "current" | "previous";
}

const ROLLGATE = /^sha256=[0-9a-f]{64}$/;
const V1 = /^v1,[A-Za-z0-9+/]{43}=$/;
const V1A = /^v1a,[A-Za-z0-9+/]{86}==$/;
const encoder = new TextEncoder();

export async function verifyDelivery(input: VerifyInput): Promise<VerifyResult> {
  const headers = Object.fromEntries(Object.entries(input.headers).map(([k, v]) => [k.toLowerCase(), v.trim()]));
  const candidates = candidatesOf(input);
  const checks: VerifyCheck[] = [headerCheck(headers)];
  if (headers["webhook-timestamp"] !== undefined) checks.push(timestampCheck(headers["webhook-timestamp"], input.now));
  if (candidates.length === 0 && !input.webhook?.publicKey) {
    checks.push({ check: "secret", ok: false, detail: "nothing to verify with: pass the secret your receiver uses, or webhook_id (a webhook with a secret)" });
  }
  if (candidates.length > 0 && ROLLGATE.test(headers["x-rollgate-signature"] ?? "")) checks.push(await rollgateCheck(headers, input, candidates));
  if (candidates.length > 0 && headers["webhook-signature"]?.includes("v1,")) checks.push(await standardCheck(headers, input, candidates));
  if (input.webhook?.publicKey && headers["webhook-signature"]?.includes("v1a,")) checks.push(await ed25519Check(headers, input, input.webhook.publicKey));
  if (input.sentBody !== undefined) checks.push(bodyCheck(input.sentBody, input.body, headers["webhook-id"] ?? headers["x-rollgate-delivery"]));
  return { valid: checks.every((c) => c.ok), checks };
}

function candidatesOf(input: VerifyInput): Candidate[] {
  const out: Candidate[] = [];
  if (input.givenSecret) out.push({ secret: input.givenSecret, label: "your secret", role: "given" });
  const hook = input.webhook;
  if (hook?.secret && hook.secret !== input.givenSecret) out.push({ secret: hook.secret, label: "the webhook's current secret", role: "current" });
  if (hook?.previousSecret && hook.previousSecret.secret !== input.givenSecret) {
    const until = new Date(hook.previousSecret.expiresAt).toISOString();
    const state = hook.previousSecret.expiresAt > input.now ? `still signing until ${until}` : `expired at ${until}`;
    out.push({ secret: hook.previousSecret.secret, label: `the webhook's previous secret (before the last rotation; ${state})`, role: "previous" });
  }
  return out;
}

// ---- Headers and time -------------------------------------------------------------------------

function headerCheck(h: Record<string, string>): VerifyCheck {
  const problems: string[] = [];
  const rollgate = h["x-rollgate-signature"];
  const standard = h["webhook-signature"];
  if (rollgate === undefined && standard === undefined) {
    return {
      check: "signature_headers",
      ok: false,
      detail:
        "neither X-Rollgate-Signature nor webhook-signature is present: the webhook has no secret (set one), or something between Flagpost and your code drops these headers",
    };
  }
  if (rollgate !== undefined && !ROLLGATE.test(rollgate))
    problems.push(`X-Rollgate-Signature should be "sha256=" and 64 lowercase hex digits, got ${quote(rollgate)}`);
  const previous = h["x-rollgate-signature-previous"];
  if (previous !== undefined && !ROLLGATE.test(previous))
    problems.push(`X-Rollgate-Signature-Previous should be "sha256=" and 64 lowercase hex digits, got ${quote(previous)}`);
  if (standard !== undefined) {
    const bad = standard.split(" ").filter((entry) => !V1.test(entry) && !V1A.test(entry));
    if (bad.length) problems.push(`webhook-signature should be space-separated "v1,<base64>" or "v1a,<base64>" entries, got ${bad.map(quote).join(", ")}`);
    for (const name of ["webhook-id", "webhook-timestamp"])
      if (h[name] === undefined) problems.push(`${name} is missing: webhook-signature signs "<webhook-id>.<webhook-timestamp>.<body>"`);
  }
  if (problems.length) return { check: "signature_headers", ok: false, detail: problems.join("; ") };
  const present = ["X-Rollgate-Signature", "X-Rollgate-Signature-Previous", "webhook-signature"].filter((n) => h[n.toLowerCase()] !== undefined);
  return { check: "signature_headers", ok: true, detail: `present and well-formed: ${present.join(", ")}` };
}

function timestampCheck(value: string, now: number): VerifyCheck {
  if (!/^\d+$/.test(value)) return { check: "timestamp", ok: false, detail: `webhook-timestamp should be Unix seconds, got ${quote(value)}` };
  const skew = Math.round(now / 1000) - Number(value);
  if (Math.abs(skew) <= TIMESTAMP_TOLERANCE_SECONDS) {
    // skew > 0: the timestamp is in the past (the usual case, a request made a moment ago).
    const when = skew === 0 ? "now" : skew > 0 ? `${skew} s ago` : `${-skew} s from now`;
    return { check: "timestamp", ok: true, detail: `${when}, within five minutes` };
  }
  const when = skew > 0 ? `${skew} s old` : `${-skew} s in the future`;
  return {
    check: "timestamp",
    ok: false,
    detail: `webhook-timestamp is ${when}; receivers refuse more than five minutes either way. Each attempt carries a fresh timestamp: check the receiver's clock, or whether this request was stored and replayed`,
  };
}

// ---- Signatures -------------------------------------------------------------------------------

async function rollgateCheck(h: Record<string, string>, input: VerifyInput, candidates: Candidate[]): Promise<VerifyCheck> {
  const macs = await Promise.all(candidates.map(async (c) => `sha256=${toHex(await hmac(await importSigningKey(c.secret), encoder.encode(input.body)))}`));
  const inHeader = (name: string) => candidates.filter((_, i) => same(macs[i], h[name]));
  const current = inHeader("x-rollgate-signature");
  const previous = h["x-rollgate-signature-previous"] ? inHeader("x-rollgate-signature-previous") : [];
  return signatureVerdict("rollgate_signature", "X-Rollgate-Signature", current, previous, input);
}

async function standardCheck(h: Record<string, string>, input: VerifyInput, candidates: Candidate[]): Promise<VerifyCheck> {
  const signed = encoder.encode(`${h["webhook-id"] ?? ""}.${h["webhook-timestamp"] ?? ""}.${input.body}`);
  const entries = h["webhook-signature"]
    .split(" ")
    .filter((e) => V1.test(e))
    .map((e) => e.slice(3));
  const macs = await Promise.all(candidates.map(async (c) => toBase64(await hmac(await importSigningKey(c.secret), signed))));
  const matching = (entry: string | undefined) => candidates.filter((_, i) => same(macs[i], entry));
  return signatureVerdict(
    "standard_webhooks_signature",
    "webhook-signature",
    matching(entries[0]),
    entries.slice(1).flatMap((e) => matching(e)),
    input,
  );
}

/** Which secret made the first (current) and the other (previous) signatures, and what the receiver should do. */
function signatureVerdict(check: string, header: string, first: Candidate[], others: Candidate[], input: VerifyInput): VerifyCheck {
  const all = [...first, ...others];
  const given = all.find((c) => c.role === "given");
  if (given) {
    const where = first.includes(given)
      ? `the first signature of ${header}`
      : `the previous secret's signature (${header === "webhook-signature" ? "the second v1 entry" : "X-Rollgate-Signature-Previous"})`;
    const ends = input.webhook?.previousSecret ? ` at ${new Date(input.webhook.previousSecret.expiresAt).toISOString()}` : "";
    const caveat = first.includes(given)
      ? ""
      : `: your receiver still has the secret from before the last rotation, and must switch to the new one before the overlap ends${ends}`;
    return { check, ok: true, detail: `matches your secret, in ${where}${caveat}` };
  }
  const known = all[0];
  const bodyNote =
    input.sentBody !== undefined && input.sentBody !== null && input.sentBody !== input.body
      ? " — and the body differs from what Flagpost sent (see the body check), which alone breaks every signature"
      : "";
  if (known && input.givenSecret) {
    return {
      check,
      ok: false,
      detail: `made with ${known.label}, not with your secret: give your receiver that secret (rotate-secret shows a new one once; rotate again if it is lost)`,
    };
  }
  if (known) {
    const note = known.role === "previous" ? "; this request was signed before the last rotation, or your receiver reads only the previous signature" : "";
    return { check, ok: known.role === "current" || first.includes(known), detail: `matches ${known.label}${note}` };
  }
  const tried = [
    input.givenSecret ? "your secret" : null,
    input.webhook?.secret ? "the webhook's current secret" : null,
    input.webhook?.previousSecret ? "its previous secret" : null,
  ]
    .filter(Boolean)
    .join(", ");
  return {
    check,
    ok: false,
    detail: `matches none of the secrets tried (${tried})${bodyNote || ": the signature was computed over other bytes than these (a re-serialized or re-encoded body), or with another secret"}`,
  };
}

async function ed25519Check(h: Record<string, string>, input: VerifyInput, publicKey: string): Promise<VerifyCheck> {
  const signed = encoder.encode(`${h["webhook-id"] ?? ""}.${h["webhook-timestamp"] ?? ""}.${input.body}`);
  const key = await crypto.subtle.importKey("raw", fromBase64(publicKey.replace(/^whpk_/, "")), { name: "Ed25519" }, false, ["verify"]);
  // Only well-formed entries: a malformed one is the header check's to report.
  const entries = h["webhook-signature"].split(" ").filter((e) => V1A.test(e));
  for (const entry of entries) {
    if (await crypto.subtle.verify("Ed25519", key, fromBase64(entry.slice(4)), signed))
      return { check: "ed25519_signature", ok: true, detail: "the v1a signature verifies with the webhook's public key" };
  }
  return {
    check: "ed25519_signature",
    ok: false,
    detail: "no v1a signature verifies with the webhook's current public key: the key pair was replaced since, or the signed bytes differ (see the body check)",
  };
}

/** Equal, in time that does not depend on where they differ (the secrets' signatures are at stake). */
function same(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const [a, b] = [encoder.encode(expected), encoder.encode(given)];
  return a.byteLength === b.byteLength && crypto.subtle.timingSafeEqual(a, b);
}

// ---- The body ---------------------------------------------------------------------------------

export function bodyCheck(sent: string | null, got: string, deliveryId: string | undefined): VerifyCheck {
  if (sent === null) {
    return {
      check: "body",
      ok: false,
      detail: `this webhook has no delivery ${deliveryId ? quote(deliveryId) : "(no webhook-id header)"}: the webhook-id header names another webhook's delivery, or the delivery is past retention`,
    };
  }
  if (sent === got) return { check: "body", ok: true, detail: "byte for byte the body Flagpost sent" };
  const at = firstDifference(sent, got);
  const { line, column } = position(got, at);
  const where = `first difference at character ${at} (line ${line}, column ${column}): Flagpost sent ${quote(sent.slice(at, at + 24))}, you have ${quote(got.slice(at, at + 24))}`;
  if (sameJson(sent, got)) {
    return {
      check: "body",
      ok: false,
      detail: `the same JSON, re-serialized (${where}). Your code parsed the body and serialized it again before verifying; verify the raw bytes as received (express.raw(), request.text()) and parse after`,
    };
  }
  return { check: "body", ok: false, detail: `not the body Flagpost sent: ${where}` };
}

function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function position(text: string, index: number): { line: number; column: number } {
  const before = text.slice(0, index).split("\n");
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

/** Equal as JSON values, blind to whitespace, key order and escapes; false when either is not JSON. */
export function sameJson(a: string, b: string): boolean {
  try {
    const [x, y] = [canonicalJson(JSON.parse(a)), canonicalJson(JSON.parse(b))];
    return x !== null && x === y;
  } catch {
    return false;
  }
}

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
