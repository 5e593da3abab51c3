// Signing of one delivery attempt: the complete header set of the request Flagpost sends.
//
// Guarantees (CONTRACT.md, "The request Flagpost sends"):
// - Both signatures cover the exact body bytes that go on the wire; the body is never re-serialized
//   here, so a receiver that verifies the raw body it read always agrees with us.
// - The secret is keyed as its UTF-8 bytes, for both schemes: Rollgate's `sha256=<hex>` and Standard
//   Webhooks' `v1,<base64>` over `<id>.<timestamp>.<body>` (whose libraries take `whsec_` + base64 of
//   those same bytes).
// - `X-Rollgate-Delivery` and `webhook-id` are the delivery id, equal on every attempt, so receivers can
//   deduplicate; only `webhook-timestamp` and `webhook-signature` change between attempts.
// - A webhook's custom headers never replace a header Flagpost sets, whatever their case.
// - Rotation (CONTRACT.md, "Receivers' toolkit"): until the previous secret expires, every HMAC header
//   also carries the previous secret's signature (`webhook-signature: v1,<new> v1,<previous>`, new
//   first; `X-Rollgate-Signature-Previous`), so a receiver that switches secrets at any moment in the
//   window verifies every attempt. Expiry is judged at the attempt's own time.
// - ed25519 (`v1a`) signs the same `<id>.<timestamp>.<body>` with the webhook's private key.
// - The `sentry` format adds `X-Sentry-Signature`: bare hex HMAC of the body, current secret only.
// - Pure: WebCrypto only, no I/O; one key import per secret per call.
import { fromBase64, toBase64, toHex } from "../kernel/encoding";

/** Names Flagpost sets on every request (lower case); custom headers may not use them. */
export const RESERVED_HEADER_NAMES: ReadonlySet<string> = new Set([
  "content-type",
  "user-agent",
  "x-rollgate-event",
  "x-rollgate-delivery",
  "x-rollgate-signature",
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
  "x-rollgate-signature-previous",
  "x-sentry-signature",
  "x-flagpost-revision",
]);

/**
 * Names HTTP reserves to the transport (lower case), plus every `Proxy-*`: set by the runtime for the
 * request Flagpost sends, and a custom value would corrupt it (`Upgrade` turns a POST into a 501).
 */
export const TRANSPORT_HEADER_NAMES: ReadonlySet<string> = new Set([
  "host",
  "content-length",
  "content-encoding",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
  "expect",
]);

export function isTransportHeaderName(name: string): boolean {
  const lower = name.toLowerCase();
  return TRANSPORT_HEADER_NAMES.has(lower) || lower.startsWith("proxy-");
}

/** RFC 9110 `token`: the characters a field name may contain. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Visible ASCII, space and tab; no leading or trailing whitespace, which fetch would silently strip. */
const HEADER_VALUE = /^(?:[\x21-\x7E](?:[\x20-\x7E\t]*[\x21-\x7E])?)?$/;

export function isValidHeaderName(name: string): boolean {
  return HEADER_NAME.test(name);
}

export function isValidHeaderValue(value: string): boolean {
  return HEADER_VALUE.test(value);
}

/** A name a custom header may not take: one Flagpost sets, or one the transport owns. */
export function isReservedHeaderName(name: string): boolean {
  return RESERVED_HEADER_NAMES.has(name.toLowerCase()) || isTransportHeaderName(name);
}

/** Everything a webhook signs with; loaded (and decrypted) per attempt, see signing-material.ts. */
export interface SigningMaterial {
  /** The webhook's secret; without one (null, undefined or empty) there is no HMAC signature. */
  secret?: string | null;
  /** The secret before the last rotation, and when it stops signing (Unix ms). */
  previousSecret?: { secret: string; expiresAt: number } | null;
  /** PKCS#8 bytes (base64) of the webhook's ed25519 private key, when it has one. */
  ed25519PrivateKey?: string | null;
  /** The delivery's body format: `sentry` adds Sentry's own signature header. */
  format?: string;
}

export interface DeliveryToSign extends SigningMaterial {
  /** The delivery id: `X-Rollgate-Delivery` and `webhook-id`. */
  deliveryId: string;
  /** The event name, e.g. `flag.toggled` or `webhook.test`. */
  event: string;
  /** The stored JSON body, exactly as it will be sent. */
  body: string;
  /** The attempt's time, Unix seconds. */
  timestampSeconds: number;
  /** The webhook's own headers (decrypted values). */
  customHeaders?: Record<string, string>;
  /** Flagpost's version, for `User-Agent`. */
  version: string;
}

const encoder = new TextEncoder();

/** Every header of one attempt's request, signatures included when the webhook has a secret. */
export async function signDelivery(delivery: DeliveryToSign): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(delivery.timestampSeconds));
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "User-Agent": `Flagpost-Webhooks/${delivery.version}`,
    "X-Rollgate-Event": delivery.event,
    "X-Rollgate-Delivery": delivery.deliveryId,
    "webhook-id": delivery.deliveryId,
    "webhook-timestamp": timestamp,
  };
  Object.assign(headers, await signatureHeaders(delivery, timestamp));
  for (const [name, value] of Object.entries(delivery.customHeaders ?? {})) {
    if (!isReservedHeaderName(name)) headers[name] = value;
  }
  return headers;
}

/** The signature headers of one attempt: HMACs with the live secrets, then the ed25519 signature. */
async function signatureHeaders(delivery: DeliveryToSign, timestamp: string): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  const body = encoder.encode(delivery.body);
  const signedContent = encoder.encode(`${delivery.deliveryId}.${timestamp}.${delivery.body}`);
  const standard: string[] = [];
  // An empty secret cannot key an HMAC, so it counts as none.
  if (delivery.secret) {
    const key = await importSigningKey(delivery.secret);
    const [rollgate, signed] = await Promise.all([hmac(key, body), hmac(key, signedContent)]);
    headers["X-Rollgate-Signature"] = `sha256=${toHex(rollgate)}`;
    standard.push(`v1,${toBase64(signed)}`);
    if (delivery.format === "sentry") headers["X-Sentry-Signature"] = toHex(rollgate);
    const previous = delivery.previousSecret;
    // Judged in whole seconds, like webhook-timestamp, and never past expiry: the previous secret
    // signs only in seconds that end before it expires.
    if (previous?.secret && Number(timestamp) < Math.floor(previous.expiresAt / 1000)) {
      const previousKey = await importSigningKey(previous.secret);
      const [oldRollgate, oldSigned] = await Promise.all([hmac(previousKey, body), hmac(previousKey, signedContent)]);
      headers["X-Rollgate-Signature-Previous"] = `sha256=${toHex(oldRollgate)}`;
      standard.push(`v1,${toBase64(oldSigned)}`);
    }
  }
  if (delivery.ed25519PrivateKey) {
    const key = await crypto.subtle.importKey("pkcs8", fromBase64(delivery.ed25519PrivateKey), { name: "Ed25519" }, false, ["sign"]);
    standard.push(`v1a,${toBase64(new Uint8Array(await crypto.subtle.sign("Ed25519", key, signedContent)))}`);
  }
  if (standard.length) headers["webhook-signature"] = standard.join(" ");
  return headers;
}

/**
 * Checks an `X-Rollgate-Signature` header against the raw body, in constant time.
 * This is what a receiver does; docs/receiving-webhooks.md's Worker example and the tests use it.
 */
export async function verifyRollgateSignature(body: string | ArrayBuffer | Uint8Array, header: string | null | undefined, secret: string): Promise<boolean> {
  if (!header || !secret) return false;
  const bytes = typeof body === "string" ? encoder.encode(body) : new Uint8Array(body);
  const key = await importSigningKey(secret);
  const expected = encoder.encode(`sha256=${toHex(await hmac(key, bytes))}`);
  const received = encoder.encode(header.trim().toLowerCase());
  // timingSafeEqual throws on unequal lengths; the length of a hex digest is no secret.
  if (received.byteLength !== expected.byteLength) return false;
  return crypto.subtle.timingSafeEqual(received, expected);
}

export function importSigningKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

export async function hmac(key: CryptoKey, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, data));
}
