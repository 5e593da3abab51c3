// D1 for the receivers' toolkit: rotating a webhook's secret, giving it an ed25519 key pair, and reading
// back what Flagpost sent (the debugger compares it with what a receiver got). Secrets and the private
// key are stored encrypted (secret-box), like every webhook secret.
import { and, eq } from "drizzle-orm";
import { webhooks } from "../kernel/db/schema";
import { AppError } from "../kernel/errors";
import { iso } from "../kernel/schemas";
import type { RotatedSecret, RotateSecretInput } from "./receiver-schemas";
import { encryptSecret, type Keyring } from "../outbound/secret-box";
import { randomBase64Url, toBase64 } from "../kernel/encoding";
import { DELIVERY_BODY } from "../deliveries/lifecycle";
import { recoverEventBody } from "../outbound/event-bodies";
import type { Db } from "../kernel/app-env";
import type { WebhookFormat } from "../outbound/bodies";

type WebhookRow = typeof webhooks.$inferSelect;

/** A webhook of the organization, project or organization scope alike. */
export async function findOrgWebhook(db: Db, orgId: string, id: string): Promise<WebhookRow | null> {
  const [row] = await db
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.orgId, orgId), eq(webhooks.id, id)));
  return row ?? null;
}

/** 24 random bytes as base64url: 32 characters, which Sentry's secret field also takes. */
export function generateSecret(): string {
  return randomBase64Url(24);
}

export function standardWebhooksSecret(secret: string): string {
  return `whsec_${toBase64(new TextEncoder().encode(secret))}`;
}

/**
 * The new secret signs from now on; the current one (kept as its ciphertext) keeps signing beside it
 * until it expires. Conditional on the secret read, so two rotations at once cannot both keep "the
 * previous" one: the second gets 409.
 */
export async function rotateSecret(d1: D1Database, keyring: Keyring, row: WebhookRow, input: RotateSecretInput): Promise<RotatedSecret> {
  const secret = input.secret ?? generateSecret();
  const now = Date.now();
  const keepPrevious = row.secret !== null && input.previous_expires_in_seconds > 0;
  const expiresAt = keepPrevious ? now + input.previous_expires_in_seconds * 1000 : null;
  const result = await d1
    .prepare(
      `UPDATE webhooks SET secret = ?1, previous_secret = ?2, previous_secret_expires_at = ?3, updated_at = ?4
       WHERE id = ?5 AND secret IS ?6`,
    )
    .bind(await encryptSecret(keyring, secret), keepPrevious ? row.secret : null, expiresAt, now, row.id, row.secret)
    .run();
  if (result.meta.changes !== 1) throw new AppError("conflict", "the secret changed while rotating it; read the webhook and try again");
  return { secret, standard_webhooks_secret: standardWebhooksSecret(secret), previous_expires_at: expiresAt === null ? null : iso(expiresAt) };
}

/** A new ed25519 key pair (replacing any earlier one); answers the public key as `whpk_…`. */
export async function createEd25519Key(db: Db, keyring: Keyring, row: WebhookRow): Promise<string> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const [pkcs8, raw] = await Promise.all([crypto.subtle.exportKey("pkcs8", pair.privateKey), crypto.subtle.exportKey("raw", pair.publicKey)]);
  const publicKey = `whpk_${toBase64(new Uint8Array(raw as ArrayBuffer))}`;
  const privateKey = await encryptSecret(keyring, toBase64(new Uint8Array(pkcs8 as ArrayBuffer)));
  await db.update(webhooks).set({ ed25519PrivateKey: privateKey, ed25519PublicKey: publicKey, updatedAt: Date.now() }).where(eq(webhooks.id, row.id));
  return publicKey;
}

/** The exact body Flagpost sent (or sends) for one delivery of this webhook, or null when it has no such delivery. */
export async function sentBody(d1: D1Database, webhookId: string, deliveryId: string): Promise<string | null> {
  const row = await d1
    .prepare(
      `SELECT ${DELIVERY_BODY} AS body, d.event_id, d.format FROM deliveries d LEFT JOIN events e ON e.id = d.event_id WHERE d.id = ?1 AND d.webhook_id = ?2`,
    )
    .bind(deliveryId, webhookId)
    .first<{ body: string | null; event_id: string | null; format: string }>();
  // Not rendered when its change committed: rendered as its first attempt will send it.
  if (row && row.body === null && row.event_id) return recoverEventBody(d1, row.event_id, row.format as WebhookFormat);
  return row?.body ?? null;
}
