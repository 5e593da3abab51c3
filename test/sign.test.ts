import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { RESERVED_HEADER_NAMES, isValidHeaderName, isValidHeaderValue, signDelivery, verifyRollgateSignature, type DeliveryToSign } from "../src/outbound/sign";

const now = () => Math.floor(Date.now() / 1000);

function delivery(overrides: Partial<DeliveryToSign> = {}): DeliveryToSign {
  return {
    deliveryId: "5b0e7a52-8a8f-4c39-9f5e-0d6f1c1f2a11",
    event: "flag.toggled",
    body: JSON.stringify({ id: "e1", event: "flag.toggled", flag: { key: "new-checkout", enabled: true } }),
    secret: "whsec-not-base64: just a passphrase",
    timestampSeconds: now(),
    version: "1.0.0",
    ...overrides,
  };
}

/** How a receiver following Rollgate's docs checks the signature, with Node's crypto. */
function rollgateReceiverAccepts(rawBody: string, signature: string, secret: string): boolean {
  const expected = `sha256=${createHmac("sha256", secret).update(rawBody).digest("hex")}`;
  const a = Buffer.from(signature);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** How a receiver using a Standard Webhooks library checks it: `whsec_` + base64 of the secret. */
function standardReceiverAccepts(rawBody: string, headers: Record<string, string>, secret: string): unknown {
  const wh = new Webhook(`whsec_${Buffer.from(secret, "utf8").toString("base64")}`);
  return wh.verify(rawBody, headers);
}

const UNICODE_BODY = JSON.stringify({ name: "Café ☕ Ünïcødé 🚀", note: "日本語のフラグ", crlf: "a\r\nb" });

describe("signDelivery", () => {
  it("sends the contract's headers, in the contract's spelling", async () => {
    const d = delivery({ timestampSeconds: 1769342400 });
    const headers = await signDelivery(d);
    expect(Object.keys(headers).sort()).toEqual(
      [
        "Content-Type",
        "User-Agent",
        "X-Rollgate-Event",
        "X-Rollgate-Delivery",
        "X-Rollgate-Signature",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
      ].sort(),
    );
    expect(headers["Content-Type"]).toBe("application/json");
    expect(headers["User-Agent"]).toBe("Flagpost-Webhooks/1.0.0");
    expect(headers["X-Rollgate-Event"]).toBe("flag.toggled");
    expect(headers["X-Rollgate-Delivery"]).toBe(d.deliveryId);
    expect(headers["webhook-id"]).toBe(d.deliveryId);
    expect(headers["webhook-timestamp"]).toBe("1769342400");
    expect(headers["X-Rollgate-Signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it("matches GitHub's published HMAC-SHA256 example (same scheme as Rollgate's)", async () => {
    const headers = await signDelivery(delivery({ body: "Hello, World!", secret: "It's a Secret to Everybody" }));
    expect(headers["X-Rollgate-Signature"]).toBe("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
  });

  it.each([
    ["an ASCII body and secret", delivery().body, "s3cr3t"],
    ["a unicode body", UNICODE_BODY, "s3cr3t"],
    ["a unicode secret", UNICODE_BODY, "sécret-🔑-ключ"],
    ["an empty JSON object", "{}", "k"],
    ["a body with escaped unicode", JSON.stringify({ s: "\u2028\u2029" }), "secret with spaces"],
  ])("is verified by a Rollgate-style Node receiver and by standardwebhooks: %s", async (_, body, secret) => {
    const headers = await signDelivery(delivery({ body, secret }));
    expect(rollgateReceiverAccepts(body, headers["X-Rollgate-Signature"]!, secret)).toBe(true);
    expect(standardReceiverAccepts(body, headers, secret)).toEqual(JSON.parse(body));
    const signedContent = `${headers["webhook-id"]}.${headers["webhook-timestamp"]}.${body}`;
    expect(headers["webhook-signature"]).toBe(`v1,${createHmac("sha256", secret).update(signedContent).digest("base64")}`);
  });

  it("is refused by both receivers for another body or another secret", async () => {
    const body = UNICODE_BODY;
    const headers = await signDelivery(delivery({ body, secret: "right" }));
    const altered = body.replace("Café", "Cafe");
    expect(rollgateReceiverAccepts(altered, headers["X-Rollgate-Signature"]!, "right")).toBe(false);
    expect(rollgateReceiverAccepts(body, headers["X-Rollgate-Signature"]!, "wrong")).toBe(false);
    expect(() => standardReceiverAccepts(altered, headers, "right")).toThrow(/signature/i);
    expect(() => standardReceiverAccepts(body, headers, "wrong")).toThrow(/signature/i);
  });

  it("signs each attempt afresh: new timestamp, new webhook-signature, same body signature and ids", async () => {
    const first = await signDelivery(delivery({ timestampSeconds: 1769342400 }));
    const retry = await signDelivery(delivery({ timestampSeconds: 1769342460 }));
    expect(retry["webhook-timestamp"]).toBe("1769342460");
    expect(retry["webhook-signature"]).not.toBe(first["webhook-signature"]);
    expect(retry["X-Rollgate-Signature"]).toBe(first["X-Rollgate-Signature"]);
    expect(retry["X-Rollgate-Delivery"]).toBe(first["X-Rollgate-Delivery"]);
  });

  it.each([
    ["no secret", undefined],
    ["a null secret", null],
    ["an empty secret", ""],
  ])("sends no signature headers with %s", async (_, secret) => {
    const headers = await signDelivery(delivery({ secret }));
    expect(headers).not.toHaveProperty("X-Rollgate-Signature");
    expect(headers).not.toHaveProperty("webhook-signature");
    expect(headers["webhook-id"]).toBeDefined();
    expect(headers["webhook-timestamp"]).toBeDefined();
    expect(headers["X-Rollgate-Event"]).toBe("flag.toggled");
  });

  it("adds the webhook's own headers, and never lets them replace Flagpost's", async () => {
    const headers = await signDelivery(
      delivery({
        secret: "s",
        customHeaders: {
          Authorization: "Bearer abc123",
          "X-Team": "payments",
          "content-type": "text/plain",
          "X-ROLLGATE-SIGNATURE": "sha256=forged",
          "Webhook-Id": "forged",
        },
      }),
    );
    expect(headers.Authorization).toBe("Bearer abc123");
    expect(headers["X-Team"]).toBe("payments");
    expect(headers).not.toHaveProperty("content-type");
    expect(headers).not.toHaveProperty("X-ROLLGATE-SIGNATURE");
    expect(headers).not.toHaveProperty("Webhook-Id");
    const sent = new Headers(headers);
    expect(sent.get("content-type")).toBe("application/json");
    expect(sent.get("x-rollgate-signature")).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it("sends the test event name as given", async () => {
    const headers = await signDelivery(delivery({ event: "webhook.test" }));
    expect(headers["X-Rollgate-Event"]).toBe("webhook.test");
  });
});

describe("verifyRollgateSignature", () => {
  const secret = "receiver-secret";
  const body = UNICODE_BODY;
  const good = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

  it.each([
    ["the right signature", good, true],
    ["the right signature in upper-case hex", `sha256=${good.slice(7).toUpperCase()}`, true],
    ["the right signature with surrounding spaces", ` ${good} `, true],
    ["one hex digit changed", good.slice(0, -1) + (good.endsWith("0") ? "1" : "0"), false],
    ["a truncated signature", good.slice(0, -2), false],
    ["a longer signature", `${good}00`, false],
    ["no sha256= prefix", good.slice(7), false],
    ["an empty header", "", false],
    ["a missing header", null, false],
  ])("%s → %s", async (_, header, expected) => {
    expect(await verifyRollgateSignature(body, header, secret)).toBe(expected);
  });

  it("accepts raw bytes as well as a string", async () => {
    expect(await verifyRollgateSignature(new TextEncoder().encode(body), good, secret)).toBe(true);
    expect(await verifyRollgateSignature(await new Response(body).arrayBuffer(), good, secret)).toBe(true);
  });

  it("refuses the right signature checked with another secret", async () => {
    expect(await verifyRollgateSignature(body, good, "another-secret")).toBe(false);
  });

  it("verifies what signDelivery signs", async () => {
    const headers = await signDelivery(delivery({ body, secret }));
    expect(await verifyRollgateSignature(body, headers["X-Rollgate-Signature"], secret)).toBe(true);
  });
});

describe("header names and values", () => {
  it("reserves every header in the contract's table, in lower case", () => {
    for (const name of [
      "content-type",
      "user-agent",
      "x-rollgate-event",
      "x-rollgate-delivery",
      "x-rollgate-signature",
      "webhook-id",
      "webhook-timestamp",
      "webhook-signature",
    ]) {
      expect(RESERVED_HEADER_NAMES.has(name)).toBe(true);
    }
    for (const name of RESERVED_HEADER_NAMES) expect(name).toBe(name.toLowerCase());
  });

  it.each([
    ["Authorization", true],
    ["X-Api-Key", true],
    ["x_custom.header~1", true],
    ["!#$%&'*+-.^_`|~", true],
    ["", false],
    ["X Api Key", false],
    ["X-Api-Key:", false],
    ["X-Ünicode", false],
    ["X-Api\r\nKey", false],
    ["(comment)", false],
    ['"quoted"', false],
  ])("header name %j valid: %s", (name, valid) => {
    expect(isValidHeaderName(name)).toBe(valid);
  });

  it.each([
    ["Bearer abc.def-ghi_123", true],
    ["a\tb c", true],
    ["", true],
    ["x", true],
    ['~!@#$%^&*()_+{}|:"<>?', true],
    ["line\r\nInjected: yes", false],
    ["line\nbreak", false],
    ["carriage\rreturn", false],
    ["nul\0byte", false],
    ["caf\u00e9", false],
    ["del\u007f", false],
    [" leading space", false],
    ["trailing tab\t", false],
  ])("header value %j valid: %s", (value, valid) => {
    expect(isValidHeaderValue(value)).toBe(valid);
  });
});
