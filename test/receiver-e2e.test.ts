// End to end through the local queue: a receiver on 127.0.0.1 gets every event of the contract,
// in both formats, and verifies both signatures with independent code (Node's crypto as in
// Rollgate's snippet, and the standardwebhooks package).
import crypto from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { call, newFlag, patchState, setup } from "./helpers";
import { eventually, newWebhook, received, receiverUrl } from "./webhook-helpers";
import { RollgateBodySchema } from "../src/outbound/bodies";
import { TgglBodySchema } from "../src/outbound/bodies";

const SECRET = "a-webhook-secret-ü";

function verifyRollgate(rawBody: string, signature: string | undefined, secret: string): boolean {
  const expected = `sha256=${crypto.createHmac("sha256", secret).update(rawBody).digest("hex")}`;
  return signature !== undefined && signature.length === expected.length && crypto.timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
}

describe("a receiver written against the docs", () => {
  it("gets all five events with valid signatures of both kinds, in the rollgate and tggl formats", async () => {
    const { tenant, project } = await setup();
    const rollgateUrl = receiverUrl("ok");
    const tgglUrl = receiverUrl("ok");
    const all = ["flag.created", "flag.updated", "flag.deleted", "flag.toggled", "flag_state.updated"];
    await newWebhook(tenant, project.id, { url: rollgateUrl, events: all, secret: SECRET });
    await newWebhook(tenant, project.id, { url: tgglUrl, events: all, secret: SECRET, format: "tggl" });

    const flag = await newFlag(tenant, project.id, { key: "new-checkout" });
    await call(`/projects/${project.id}/flags/new-checkout`, { token: tenant.key, method: "PATCH", body: { description: "The new flow" } });
    await patchState(tenant, project.id, flag.key, "production", { enabled: true, rollout_percentage: 20 });
    await call(`/projects/${project.id}/flags/new-checkout`, { token: tenant.key, method: "DELETE" });

    const expected = ["flag.created", "flag.updated", "flag.toggled", "flag_state.updated", "flag.deleted"];
    const rollgate = await eventually(async () => {
      const seen = await received(rollgateUrl);
      expect(seen.map((r) => r.headers["x-rollgate-event"]).sort()).toEqual([...expected].sort());
      return seen;
    });
    const tggl = await eventually(async () => {
      const seen = await received(tgglUrl);
      expect(seen).toHaveLength(5);
      return seen;
    });

    const standard = new Webhook(`whsec_${Buffer.from(SECRET).toString("base64")}`);
    for (const r of [...rollgate, ...tggl]) {
      expect(verifyRollgate(r.body, r.headers["x-rollgate-signature"], SECRET)).toBe(true);
      expect(() => standard.verify(r.body, r.headers)).not.toThrow();
      expect(r.headers["webhook-id"]).toBe(r.headers["x-rollgate-delivery"]);
      expect(r.headers["content-type"]).toBe("application/json");
      expect(r.headers["user-agent"]).toMatch(/^Flagpost-Webhooks\/\d/);
    }
    for (const r of rollgate) {
      const body = RollgateBodySchema.parse(JSON.parse(r.body));
      expect(body.event).toBe(r.headers["x-rollgate-event"]);
      expect(body.triggered_by.email).toBe(tenant.email);
      expect(body.environment === null).toBe(["flag.created", "flag.updated", "flag.deleted"].includes(body.event));
    }
    const toggled = JSON.parse(rollgate.find((r) => r.headers["x-rollgate-event"] === "flag.toggled")!.body);
    expect(toggled.flag).toMatchObject({ key: "new-checkout", enabled: true });
    expect(toggled.changes).toEqual([{ __typename: "FlagActivated", oldActive: false, newActive: true }]);
    for (const r of tggl) {
      const body = TgglBodySchema.parse(JSON.parse(r.body));
      expect(Object.keys(body).sort()).toEqual(["changes", "codeLikeAfter", "codeLikeBefore", "flagSlug", "projectSlug", "userEmail"]);
      expect(body).toMatchObject({ flagSlug: "new-checkout", projectSlug: project.key, userEmail: tenant.email });
    }
    const stateUpdated = JSON.parse(tggl.find((r) => r.headers["x-rollgate-event"] === "flag_state.updated")!.body);
    expect(stateUpdated.changes.map((c: { __typename: string }) => c.__typename)).toEqual(["FlagConditionCreated"]);
    expect(stateUpdated.codeLikeAfter).toContain("20% OF userId (0% TO 20%)");
  });

  it("a webhook without a secret gets no signature headers", async () => {
    const { tenant, project } = await setup();
    const url = receiverUrl("ok");
    await newWebhook(tenant, project.id, { url, events: ["flag.created"] });
    await newFlag(tenant, project.id);
    const [r] = await eventually(async () => {
      const seen = await received(url);
      expect(seen).toHaveLength(1);
      return seen;
    });
    expect(r.headers["x-rollgate-signature"]).toBeUndefined();
    expect(r.headers["webhook-signature"]).toBeUndefined();
    expect(r.headers["webhook-timestamp"]).toMatch(/^\d{10}$/);
  });
});
