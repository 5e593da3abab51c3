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
// - Pure: WebCrypto only, no I/O; one HMAC key import per call.

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
  "x-flagpost-revision", // set by the consumer beside these, on every request of a change's event
  // Set by the runtime for the body Flagpost sends; a custom value would corrupt the request.
  "content-length",
  "transfer-encoding",
  "connection",
  "host",
]);

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

export function isReservedHeaderName(name: string): boolean {
  return RESERVED_HEADER_NAMES.has(name.toLowerCase());
}

export interface DeliveryToSign {
  /** The delivery id: `X-Rollgate-Delivery` and `webhook-id`. */
  deliveryId: string;
  /** The event name, e.g. `flag.toggled` or `webhook.test`. */
  event: string;
  /** The stored JSON body, exactly as it will be sent. */
  body: string;
  /** The webhook's secret; without one (null, undefined or empty) the request is unsigned. */
  secret?: string | null;
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
  // An empty secret cannot key an HMAC, so it counts as none.
  if (delivery.secret) {
    const key = await importSigningKey(delivery.secret);
    const signedContent = `${delivery.deliveryId}.${timestamp}.${delivery.body}`;
    const [rollgate, standard] = await Promise.all([
      hmac(key, encoder.encode(delivery.body)),
      hmac(key, encoder.encode(signedContent)),
    ]);
    headers["X-Rollgate-Signature"] = `sha256=${toHex(rollgate)}`;
    headers["webhook-signature"] = `v1,${toBase64(standard)}`;
  }
  for (const [name, value] of Object.entries(delivery.customHeaders ?? {})) {
    if (!isReservedHeaderName(name)) headers[name] = value;
  }
  return headers;
}

/**
 * Checks an `X-Rollgate-Signature` header against the raw body, in constant time.
 * This is what a receiver does; the README's Worker example and the tests use it.
 */
export async function verifyRollgateSignature(
  body: string | ArrayBuffer | Uint8Array,
  header: string | null | undefined,
  secret: string,
): Promise<boolean> {
  if (!header || !secret) return false;
  const bytes = typeof body === "string" ? encoder.encode(body) : new Uint8Array(body);
  const key = await importSigningKey(secret);
  const expected = encoder.encode(`sha256=${toHex(await hmac(key, bytes))}`);
  const received = encoder.encode(header.trim().toLowerCase());
  // timingSafeEqual throws on unequal lengths; the length of a hex digest is no secret.
  if (received.byteLength !== expected.byteLength) return false;
  return crypto.subtle.timingSafeEqual(received, expected);
}

function importSigningKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

async function hmac(key: CryptoKey, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, data));
}

function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
