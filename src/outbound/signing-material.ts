// What an attempt signs with, read from the webhook's row (decrypted in src/deliveries/request.ts): the current secret, the one
// before the last rotation while its overlap lasts, the ed25519 private key, and the delivery's format.

/** The columns the consumer selects for signing (webhooks `w` joined to deliveries `d`). */
export const SIGNING_COLUMNS = "w.secret, w.previous_secret, w.previous_secret_expires_at, w.ed25519_private_key, d.format";

export interface SigningColumns {
  secret: string | null;
  previous_secret: string | null;
  previous_secret_expires_at: number | null;
  ed25519_private_key: string | null;
  format: string;
}
