import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { SecretBoxError, decryptSecret, encryptSecret, maskHeaderValue, parseKeyring } from "../src/outbound/secret-box";

function newKey(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64");
}

const OLD = newKey();
const NEW = newKey();

describe("parseKeyring", () => {
  it("takes the first key as the active one and keeps them all", () => {
    const keyring = parseKeyring(`k2:${NEW}, k1:${OLD}`);
    expect(keyring.activeId).toBe("k2");
    expect([...keyring.keys.keys()]).toEqual(["k2", "k1"]);
  });

  it("accepts base64url keys without padding", () => {
    const url = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
    expect(parseKeyring(`k1:${url}`).activeId).toBe("k1");
  });

  it.each([
    ["an empty value", ""],
    ["only separators", " , "],
    ["a missing key id", `:${OLD}`],
    ["no colon", OLD],
    ["a key id with a dot", `k.1:${OLD}`],
    ["a short key", `k1:${Buffer.alloc(16).toString("base64")}`],
    ["a long key", `k1:${Buffer.alloc(33).toString("base64")}`],
    ["a key that is not base64", "k1:not*base64!"],
    ["a repeated key id", `k1:${OLD},k1:${NEW}`],
  ])("refuses %s", (_, value) => {
    expect(() => parseKeyring(value)).toThrow(SecretBoxError);
  });
});

describe("encryptSecret / decryptSecret", () => {
  const keyring = parseKeyring(`k1:${OLD}`);

  it.each([
    ["a webhook secret", "whsec-like passphrase 123"],
    ["a header value", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc"],
    ["unicode", "sécret 🔑 ключ"],
    ["an empty string", ""],
    ["a leading byte-order mark", "\uFEFFbom"],
  ])("round-trips %s", async (_, plaintext) => {
    const sealed = await encryptSecret(keyring, plaintext);
    expect(await decryptSecret(keyring, sealed)).toBe(plaintext);
  });

  it("writes v1.<keyId>.<base64url iv>.<base64url ciphertext>, never the plaintext", async () => {
    const sealed = await encryptSecret(keyring, "top secret value");
    expect(sealed).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain("top secret");
  });

  it("uses a fresh IV each time", async () => {
    const a = await encryptSecret(keyring, "same");
    const b = await encryptSecret(keyring, "same");
    expect(a).not.toBe(b);
    expect(a.split(".")[2]).not.toBe(b.split(".")[2]);
  });
});

describe("rotation", () => {
  it("keeps old ciphertexts readable and encrypts new ones with the new active key", async () => {
    const before = parseKeyring(`k1:${OLD}`);
    const oldSealed = await encryptSecret(before, "written before rotation");

    const after = parseKeyring(`k2:${NEW},k1:${OLD}`);
    expect(await decryptSecret(after, oldSealed)).toBe("written before rotation");

    const newSealed = await encryptSecret(after, "written after rotation");
    expect(newSealed.startsWith("v1.k2.")).toBe(true);
    expect(await decryptSecret(after, newSealed)).toBe("written after rotation");
  });

  it("refuses a ciphertext whose key was removed from the keyring", async () => {
    const sealed = await encryptSecret(parseKeyring(`k1:${OLD}`), "x");
    await expect(decryptSecret(parseKeyring(`k2:${NEW}`), sealed)).rejects.toThrow(/no key k1/);
  });
});

describe("refusals", () => {
  const keyring = parseKeyring(`k1:${OLD},k2:${NEW}`);

  function flipLastByte(part: string): string {
    const bytes = Buffer.from(part, "base64url");
    bytes[bytes.length - 1]! ^= 1;
    return bytes.toString("base64url");
  }

  it.each([
    ["the ciphertext", 3],
    ["the IV", 2],
  ])("refuses a value with %s tampered", async (_, index) => {
    const parts = (await encryptSecret(keyring, "secret")).split(".");
    parts[index] = flipLastByte(parts[index]!);
    await expect(decryptSecret(keyring, parts.join("."))).rejects.toThrow(/failed authentication/);
  });

  it("refuses a value relabelled to another key id", async () => {
    const sealed = await encryptSecret(keyring, "secret");
    await expect(decryptSecret(keyring, sealed.replace(/^v1\.k1\./, "v1.k2."))).rejects.toThrow(SecretBoxError);
  });

  it("refuses an unknown key id", async () => {
    const sealed = await encryptSecret(keyring, "secret");
    await expect(decryptSecret(keyring, sealed.replace(/^v1\.k1\./, "v1.k9."))).rejects.toThrow(/no key k9/);
  });

  it.each([
    ["plaintext", "Bearer abc"],
    ["another version", "v2.k1.AAAAAAAAAAAAAAAA.AAAA"],
    ["too few parts", "v1.k1.AAAAAAAAAAAAAAAA"],
    ["a short IV", "v1.k1.AAAA.AAAAAAAAAAAAAAAAAAAAAA"],
    ["a truncated ciphertext", "v1.k1.AAAAAAAAAAAAAAAA.AAAA"],
    ["characters outside base64", "v1.k1.AAAAAAAAAAAAAAAA.!!!!"],
  ])("refuses %s", async (_, value) => {
    await expect(decryptSecret(keyring, value)).rejects.toThrow(SecretBoxError);
  });
});

describe("maskHeaderValue", () => {
  it.each([
    ["Bearer eyJhbGciOiJIUzI1NiJ9", "**** (up to 32 characters)"],
    ["abcdefghijkl", "**** (up to 16 characters)"],
    ["abcdefgh", "**** (up to 8 characters)"],
    ["short", "**** (up to 8 characters)"],
    ["", "**** (up to 8 characters)"],
  ])("%j → %j", (value, masked) => {
    expect(maskHeaderValue(value)).toBe(masked);
  });

  it("shows none of the value's text, and its length only roughly", () => {
    expect(maskHeaderValue("Bearer abcdefghijklmnop")).not.toMatch(/Bearer|abc|nop/);
    expect(maskHeaderValue("x".repeat(33))).toBe(maskHeaderValue("x".repeat(64)));
  });
});
