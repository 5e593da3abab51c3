// Bytes as text, the one place they are written: hex, base64, and unpadded base64url (keys, tokens,
// cookies and ciphertexts), and back.

export function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Standard base64, as `atob` reads it (throws on anything else). */
export function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** base64url without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** `n` random bytes as base64url: what keys, secrets and session ids are made of. */
export function randomBase64Url(n: number): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(n)));
}

/** base64 or base64url, padded or not; null when the text is neither. */
export function fromAnyBase64(text: string): Uint8Array | null {
  const standard = text.trim().replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  if (!/^[A-Za-z0-9+/]*$/.test(standard) || standard.length % 4 === 1) return null;
  try {
    return fromBase64(standard.padEnd(Math.ceil(standard.length / 4) * 4, "="));
  } catch {
    return null;
  }
}

/** base64url only (no `+`, `/` or padding); null otherwise. */
export function fromBase64Url(text: string): Uint8Array | null {
  return /^[A-Za-z0-9_-]*$/.test(text) ? fromAnyBase64(text) : null;
}
