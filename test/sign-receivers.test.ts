// Signing for the receivers' toolkit, checked with the receiving side's own code: the standardwebhooks
// library, Node's crypto as in Rollgate's snippet (and as Sentry computes X-Sentry-Signature), and
// Node's crypto.verify for ed25519 — never with Flagpost's own signing functions.
import { Buffer } from "node:buffer";
import { createHmac, createPublicKey, timingSafeEqual, verify } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { signDelivery, type DeliveryToSign } from "../src/outbound/sign";

const now = () => Math.floor(Date.now() / 1000);
const NEW = "new-secret-ü";
const OLD = "old-secret";

function delivery(overrides: Partial<DeliveryToSign> = {}): DeliveryToSign {
  return {
    deliveryId: "5b0e7a52-8a8f-4c39-9f5e-0d6f1c1f2a11",
    event: "flag.toggled",
    body: JSON.stringify({ data: [{ action: "updated", flag: "new-checkout" }], meta: { version: 1 } }),
    secret: NEW,
    timestampSeconds: now(),
    version: "1.0.0",
    ...overrides,
  };
}

/** A receiver following Rollgate's docs, during a rotation: either header may carry its secret's signature. */
function rollgateAccepts(body: string, headers: Record<string, string>, secret: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(body).digest("hex")}`);
  return [headers["X-Rollgate-Signature"], headers["X-Rollgate-Signature-Previous"]].some(
    (h) => h !== undefined && Buffer.from(h).length === expected.length && timingSafeEqual(Buffer.from(h), expected),
  );
}

function standardAccepts(body: string, headers: Record<string, string>, secret: string): boolean {
  try {
    new Webhook(`whsec_${Buffer.from(secret, "utf8").toString("base64")}`).verify(body, headers);
    return true;
  } catch {
    return false;
  }
}

describe("signing during a rotation's overlap", () => {
  const overlap = { previousSecret: { secret: OLD, expiresAt: Date.now() + 60_000 } };

  it("carries both signatures, new first, in webhook-signature and in the Rollgate headers", async () => {
    const d = delivery(overlap);
    const headers = await signDelivery(d);
    expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
    expect(headers["webhook-signature"]).toMatch(/^v1,\S+ v1,\S+$/);
    const first = headers["webhook-signature"].split(" ")[0].slice(3);
    const signed = `${d.deliveryId}.${headers["webhook-timestamp"]}.${d.body}`;
    expect(first).toBe(createHmac("sha256", NEW).update(signed).digest("base64"));
    expect(headers["X-Rollgate-Signature"]).toBe(`sha256=${createHmac("sha256", NEW).update(d.body).digest("hex")}`);
    expect(headers["X-Rollgate-Signature-Previous"]).toBe(`sha256=${createHmac("sha256", OLD).update(d.body).digest("hex")}`);
  });

  it.each([
    ["the new secret", NEW],
    ["the previous secret", OLD],
  ])("verifies with %s, for the standardwebhooks library and for the Rollgate snippet", async (_, secret) => {
    const d = delivery(overlap);
    const headers = await signDelivery(d);
    expect(standardAccepts(d.body, headers, secret)).toBe(true);
    expect(rollgateAccepts(d.body, headers, secret)).toBe(true);
    expect(standardAccepts(d.body, headers, "a third secret")).toBe(false);
    expect(rollgateAccepts(d.body, headers, "a third secret")).toBe(false);
  });

  it("stops signing with the previous secret once it has expired, judged at the attempt's time", async () => {
    const expiresAt = 1_769_342_400_000;
    const before = await signDelivery(delivery({ previousSecret: { secret: OLD, expiresAt }, timestampSeconds: expiresAt / 1000 - 1 }));
    const at = await signDelivery(delivery({ previousSecret: { secret: OLD, expiresAt }, timestampSeconds: expiresAt / 1000 }));
    expect(before["X-Rollgate-Signature-Previous"]).toBeDefined();
    expect(at["X-Rollgate-Signature-Previous"]).toBeUndefined();
    expect(at["webhook-signature"].split(" ")).toHaveLength(1);
  });

  it("never signs with a previous secret that expired earlier in the attempt's second", async () => {
    const second = 1_769_342_400;
    const headers = await signDelivery(delivery({ previousSecret: { secret: OLD, expiresAt: second * 1000 + 500 }, timestampSeconds: second }));
    expect(headers["X-Rollgate-Signature-Previous"]).toBeUndefined();
  });
});

describe("the sentry format's signature", () => {
  it("is the bare hex HMAC-SHA256 of the body with the current secret, also during an overlap", async () => {
    const d = delivery({ format: "sentry", previousSecret: { secret: OLD, expiresAt: Date.now() + 60_000 } });
    const headers = await signDelivery(d);
    expect(headers["X-Sentry-Signature"]).toBe(createHmac("sha256", NEW).update(d.body).digest("hex"));
  });

  it("is only on sentry deliveries", async () => {
    expect((await signDelivery(delivery({ format: "rollgate" })))["X-Sentry-Signature"]).toBeUndefined();
    expect((await signDelivery(delivery({ format: "sentry", secret: null })))["X-Sentry-Signature"]).toBeUndefined();
  });
});

describe("ed25519 (v1a)", () => {
  async function keyPair() {
    const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const pkcs8 = Buffer.from((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer).toString("base64");
    const raw = Buffer.from((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
    return { pkcs8, raw };
  }

  it("signs <id>.<timestamp>.<body> so that Node's crypto.verify accepts it", async () => {
    const { pkcs8, raw } = await keyPair();
    const d = delivery({ ed25519PrivateKey: pkcs8 });
    const headers = await signDelivery(d);
    const entries = headers["webhook-signature"].split(" ");
    expect(entries[0]).toMatch(/^v1,/);
    const v1a = entries.find((e) => e.startsWith("v1a,"))!;
    const publicKey = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") }, format: "jwk" });
    const signed = Buffer.from(`${d.deliveryId}.${headers["webhook-timestamp"]}.${d.body}`);
    expect(verify(null, signed, publicKey, Buffer.from(v1a.slice(4), "base64"))).toBe(true);
    expect(verify(null, Buffer.from(`${d.deliveryId}.${headers["webhook-timestamp"]}.${d.body} `), publicKey, Buffer.from(v1a.slice(4), "base64"))).toBe(false);
    // The HMAC entries still verify for a library that only knows v1.
    expect(standardAccepts(d.body, headers, NEW)).toBe(true);
  });

  it("is the only signature of a webhook with a key pair and no secret", async () => {
    const { pkcs8 } = await keyPair();
    const headers = await signDelivery(delivery({ secret: null, ed25519PrivateKey: pkcs8 }));
    expect(headers["webhook-signature"]).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
    expect(headers["X-Rollgate-Signature"]).toBeUndefined();
  });
});
