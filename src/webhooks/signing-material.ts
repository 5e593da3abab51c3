// What an attempt signs with, read from the webhook's row and decrypted: the current secret, the one
// before the last rotation while its overlap lasts, the ed25519 private key, and the delivery's format.
import type { Keyring } from "./secret-box";
import { decryptSecret } from "./secret-box";
import type { SigningMaterial } from "./sign";

/** The columns the consumer selects for signing (webhooks `w` joined to deliveries `d`). */
export const SIGNING_COLUMNS = "w.secret, w.previous_secret, w.previous_secret_expires_at, w.ed25519_private_key, d.format";

export interface SigningColumns {
  secret: string | null;
  previous_secret: string | null;
  previous_secret_expires_at: number | null;
  ed25519_private_key: string | null;
  format: string;
}

export async function openSigningMaterial(keyring: Keyring, row: SigningColumns): Promise<SigningMaterial> {
  const [secret, previous, privateKey] = await Promise.all([
    row.secret === null ? null : decryptSecret(keyring, row.secret),
    row.previous_secret === null ? null : decryptSecret(keyring, row.previous_secret),
    row.ed25519_private_key === null ? null : decryptSecret(keyring, row.ed25519_private_key),
  ]);
  return {
    secret,
    previousSecret: previous === null || row.previous_secret_expires_at === null ? null : { secret: previous, expiresAt: row.previous_secret_expires_at },
    ed25519PrivateKey: privateKey,
    format: row.format,
  };
}
