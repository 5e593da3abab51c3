import { AppError } from "../kernel/errors";
import { fromAnyBase64, toBase64Url } from "../kernel/encoding";

// Encryption at rest for webhook secrets and custom header values, which must be readable again to
// sign and send (a hash would not do). AES-256-GCM with a fresh 96-bit IV per value.
//
// A ciphertext is `v1.<keyId>.<base64url iv>.<base64url ciphertext+tag>`. The key id makes rotation a
// configuration change: put the new key first in the keyring (it encrypts from then on) and keep the
// old ones after it (they still decrypt what they wrote). The `v1.<keyId>` prefix is bound to the
// ciphertext as additional data, so a value cannot be relabelled to another key or version.

const VERSION = "v1";
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const IV_BYTES = 12;

export class SecretBoxError extends Error {
  override name = "SecretBoxError";
}

interface KeyringKey {
  id: string;
  raw: Uint8Array;
}

export interface Keyring {
  /** The key that encrypts; the first one configured. */
  readonly activeId: string;
  readonly keys: ReadonlyMap<string, KeyringKey>;
}

/**
 * Reads a keyring from a Worker secret: `keyId:base64key[,keyId:base64key…]`, active key first.
 * Keys are 32 random bytes in base64 or base64url (`openssl rand -base64 32`).
 */
export function parseKeyring(secretEnvValue: string): Keyring {
  const keys = new Map<string, KeyringKey>();
  const entries = secretEnvValue
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const colon = entry.indexOf(":");
    const id = entry.slice(0, colon);
    if (colon < 0 || !KEY_ID.test(id)) {
      throw new SecretBoxError("each keyring entry must be <keyId>:<base64 key>, the id of letters, digits, _ or -");
    }
    if (keys.has(id)) throw new SecretBoxError(`key id ${id} appears twice in the keyring`);
    const raw = fromAnyBase64(entry.slice(colon + 1));
    if (raw === null || raw.byteLength !== 32) {
      throw new SecretBoxError(`key ${id} must be 32 bytes in base64 (AES-256)`);
    }
    keys.set(id, { id, raw });
  }
  const activeId = keys.keys().next().value;
  if (activeId === undefined) throw new SecretBoxError("the keyring is empty");
  return { activeId, keys };
}

export async function encryptSecret(keyring: Keyring, plaintext: string): Promise<string> {
  const key = keyring.keys.get(keyring.activeId) as KeyringKey;
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const header = `${VERSION}.${key.id}`;
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(header) },
    await importAesKey(key, "encrypt"),
    encoder.encode(plaintext),
  );
  return `${header}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(sealed))}`;
}

export async function decryptSecret(keyring: Keyring, ciphertext: string): Promise<string> {
  const parts = ciphertext.split(".");
  if (parts.length !== 4 || parts[0] !== VERSION) throw new SecretBoxError("not a v1 secret-box value");
  const [version, keyId, ivText, sealedText] = parts as [string, string, string, string];
  const key = keyring.keys.get(keyId);
  if (!key) throw new SecretBoxError(`no key ${keyId} in the keyring`);
  const iv = fromAnyBase64(ivText);
  const sealed = fromAnyBase64(sealedText);
  if (iv === null || iv.byteLength !== IV_BYTES || sealed === null) {
    throw new SecretBoxError("malformed secret-box value");
  }
  try {
    const opened = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv, additionalData: encoder.encode(`${version}.${keyId}`) },
      await importAesKey(key, "decrypt"),
      sealed,
    );
    return decoder.decode(opened);
  } catch {
    throw new SecretBoxError("secret-box value failed authentication (tampered or wrong key)");
  }
}

/**
 * How reads show a custom header value: masked whole, nothing of its text, and only a hint of its
 * length (the next power of two, from 8), enough to tell a token from a short word.
 */
export function maskHeaderValue(value: string): string {
  let bound = 8;
  while (bound < value.length) bound *= 2;
  return `**** (up to ${bound} characters)`;
}

// ---- Helpers -----------------------------------------------------------------------------------

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function importAesKey(key: KeyringKey, usage: "encrypt" | "decrypt"): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", key.raw, { name: "AES-GCM" }, false, [usage]);
}

export const keyrings = new Map<string, Keyring>();
export function keyringOf(raw: string): Keyring {
  if (!raw) throw new AppError("internal", "WEBHOOK_SECRETS_KEY is not configured");
  let keyring = keyrings.get(raw);
  if (!keyring) {
    keyring = parseKeyring(raw);
    keyrings.set(raw, keyring);
  }
  return keyring;
}
export async function openHeaders(keyring: Keyring, sealed: string): Promise<Record<string, string>> {
  return JSON.parse(await decryptSecret(keyring, sealed)) as Record<string, string>;
}
