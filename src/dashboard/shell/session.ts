// The dashboard session: an API key sealed into a cookie the browser cannot read, signed and expiring.
//
// The key must be recoverable to call the API on the user's behalf, so it is encrypted (AES-256-GCM),
// never hashed; the whole cookie is then signed (HMAC-SHA256) so a changed expiry or session id is
// refused before anything is decrypted. Both keys, and the CSRF key, are derived with HKDF from the
// active WEBHOOK_SECRETS_KEY, so the dashboard needs no secret of its own yet never uses the key that
// encrypts webhook secrets directly. Rotating that key signs every dashboard user out, by design.
//
// Cookie value: v1.<expires, unix seconds>.<session id>.<iv + ciphertext>.<signature>, all base64url.
import { readSettings } from "../../kernel/env";
import { keyringOf } from "../../outbound/secret-box";
import { fromBase64Url, randomBase64Url, toBase64Url } from "../../kernel/encoding";

export const SESSION_TTL_SECONDS = 8 * 60 * 60;
export const SIGN_IN_NONCE_TTL_SECONDS = 60 * 60;

export interface Session {
  apiKey: string;
  /** Random per sign-in; the CSRF token is derived from it. */
  id: string;
  expiresAt: number;
}

interface SessionKeys {
  seal: CryptoKey;
  sign: CryptoKey;
  csrf: CryptoKey;
}

const VERSION = "v1";
const IV_BYTES = 12;
const encoder = new TextEncoder();
const derived = new Map<string, Promise<SessionKeys>>();

function sessionKeys(env: Env): Promise<SessionKeys> {
  const raw = readSettings(env).secretsKeyring;
  let keys = derived.get(raw);
  if (!keys) {
    keys = deriveSessionKeys(raw);
    derived.set(raw, keys);
  }
  return keys;
}

async function deriveSessionKeys(rawKeyring: string): Promise<SessionKeys> {
  const keyring = keyringOf(rawKeyring);
  const active = keyring.keys.get(keyring.activeId);
  if (!active) throw new Error("the keyring has no active key");
  const master = await crypto.subtle.importKey("raw", active.raw, "HKDF", false, ["deriveKey"]);
  const derive = (info: string, algorithm: Parameters<SubtleCrypto["deriveKey"]>[2], usages: string[]) =>
    crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: encoder.encode("flagpost-dashboard"), info: encoder.encode(info) },
      master,
      algorithm,
      false,
      usages,
    );
  const hmac = { name: "HMAC", hash: "SHA-256", length: 256 };
  return {
    seal: await derive("session-seal-v1", { name: "AES-GCM", length: 256 }, ["encrypt", "decrypt"]),
    sign: await derive("session-sign-v1", hmac, ["sign"]),
    csrf: await derive("csrf-v1", hmac, ["sign"]),
  };
}

/** Seals a new session for `apiKey`, valid for SESSION_TTL_SECONDS from `nowMs`. */
export async function sealSession(env: Env, apiKey: string, nowMs = Date.now()): Promise<string> {
  const keys = await sessionKeys(env);
  const expires = Math.floor(nowMs / 1000) + SESSION_TTL_SECONDS;
  const id = randomBase64Url(16);
  const header = `${VERSION}.${expires}.${id}`;
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(header) }, keys.seal, encoder.encode(apiKey));
  const body = `${header}.${toBase64Url(concat(iv, new Uint8Array(sealed)))}`;
  return `${body}.${toBase64Url(await hmac(keys.sign, body))}`;
}

/** The session in a cookie value, or null when it is malformed, tampered with or expired. */
export async function openSession(env: Env, cookie: string | undefined, nowMs = Date.now()): Promise<Session | null> {
  const parts = cookie?.split(".") ?? [];
  if (parts.length !== 5 || parts[0] !== VERSION) return null;
  const [, expiresText, id, sealedText, signature] = parts;
  const keys = await sessionKeys(env);
  const body = parts.slice(0, 4).join(".");
  if (!sameBytes(await hmac(keys.sign, body), fromBase64Url(signature))) return null;
  const expiresAt = Number(expiresText) * 1000;
  if (!Number.isSafeInteger(expiresAt) || expiresAt <= nowMs) return null;
  const sealed = fromBase64Url(sealedText);
  if (!sealed || sealed.byteLength <= IV_BYTES) return null;
  try {
    const opened = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: sealed.slice(0, IV_BYTES), additionalData: encoder.encode(`${VERSION}.${expiresText}.${id}`) },
      keys.seal,
      sealed.slice(IV_BYTES),
    );
    return { apiKey: new TextDecoder().decode(opened), id, expiresAt };
  } catch {
    return null;
  }
}

/** The CSRF token of a session (or of a sign-in nonce): an HMAC of its id, so nothing is stored. */
export async function csrfToken(env: Env, purpose: "session" | "sign-in", id: string): Promise<string> {
  return toBase64Url(await hmac((await sessionKeys(env)).csrf, `${purpose}.${id}`));
}

export async function isCsrfToken(env: Env, purpose: "session" | "sign-in", id: string, token: unknown): Promise<boolean> {
  if (typeof token !== "string" || token.length === 0) return false;
  return sameBytes(fromBase64Url(await csrfToken(env, purpose, id)), fromBase64Url(token));
}

export function newNonce(): string {
  return randomBase64Url(16);
}

// ---- Bytes -------------------------------------------------------------------------------------

async function hmac(key: CryptoKey, text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(text)));
}

/** Constant-time comparison; timingSafeEqual throws on unequal lengths, so those are checked first. */
function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (!a || !b || a.byteLength !== b.byteLength) return false;
  return crypto.subtle.timingSafeEqual(a, b);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}
