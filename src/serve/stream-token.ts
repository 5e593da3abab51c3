// The token of an event stream's URL (CONTRACT.md v1.2): opaque, bound to an SDK key and its
// environment, valid for 24 hours, never the key itself (a URL is logged where headers are not).
//
// token = base64url("<key id>.<environment id>.<expiry, Unix seconds>") "." base64url(HMAC-SHA256)
// under a key derived from WEBHOOK_SECRETS_KEY (HMAC of a fixed label), so no new secret is needed.
//
// The expiry is the start of the current hour plus 24 h (23 to 24 h of validity): every answer of
// the same hour carries the same URL, whichever isolate signs it, so the OFREP web provider (which
// reconnects when the advertised URL changes) keeps its stream across refetches.
import { fromBase64Url, toBase64Url } from "../kernel/encoding";

export const TOKEN_LIFETIME_SECONDS = 24 * 3600;
const HOUR = 3600;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface StreamGrant {
  keyId: string;
  environmentId: string;
  /** Unix seconds. */
  expires: number;
}

let signing: { raw: string; key: Promise<CryptoKey> } | null = null;
/** Tokens already signed in this isolate, by key id: one HMAC an hour per key, not one per answer. */
const issued = new Map<string, { expires: number; environmentId: string; token: string }>();

function tokenKey(env: Env): Promise<CryptoKey> {
  const raw = (env as unknown as Record<string, string | undefined>).WEBHOOK_SECRETS_KEY ?? "";
  if (signing?.raw === raw) return signing.key;
  const key = (async () => {
    const base = await crypto.subtle.importKey("raw", encoder.encode(`flagpost:${raw}`), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const derived = await crypto.subtle.sign("HMAC", base, encoder.encode("flagpost event-stream tokens v1"));
    return crypto.subtle.importKey("raw", derived, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  })();
  signing = { raw, key };
  return key;
}

export async function streamToken(env: Env, keyId: string, environmentId: string, nowMs = Date.now()): Promise<string> {
  const expires = Math.floor(nowMs / 1000 / HOUR) * HOUR + TOKEN_LIFETIME_SECONDS;
  const cached = issued.get(keyId);
  if (cached && cached.expires === expires && cached.environmentId === environmentId) return cached.token;
  const payload = encoder.encode(`${keyId}.${environmentId}.${expires}`);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await tokenKey(env), payload));
  const token = `${toBase64Url(payload)}.${toBase64Url(mac)}`;
  if (issued.size > 10_000) issued.clear();
  issued.set(keyId, { expires, environmentId, token });
  return token;
}

/** The grant a token carries, or null when it is malformed, forged or expired. */
export async function readStreamToken(env: Env, token: string, nowMs = Date.now()): Promise<StreamGrant | null> {
  if (token.length > 512) return null;
  const [payloadText, macText, extra] = token.split(".");
  if (extra !== undefined || !payloadText || !macText) return null;
  const payload = fromBase64Url(payloadText);
  const mac = fromBase64Url(macText);
  if (!payload || !mac) return null;
  if (!(await crypto.subtle.verify("HMAC", await tokenKey(env), mac, payload))) return null;
  const [keyId, environmentId, expiresText, more] = decoder.decode(payload).split(".");
  const expires = Number(expiresText);
  if (more !== undefined || !keyId || !environmentId || !Number.isInteger(expires)) return null;
  if (expires * 1000 <= nowMs) return null;
  return { keyId, environmentId, expires };
}
