import { describe, expect, it } from "vitest";
import { FlagSchema, FlagStateSchema } from "../src/flags/schemas";
import { call, json, newFlag, patchState, setup } from "./helpers";

describe("flags", () => {
  it("creates a boolean flag with Live and Off and a disabled state in each environment", async () => {
    const { tenant, project } = await setup();
    const flag = FlagSchema.parse(await newFlag(tenant, project.id, { key: "new-checkout" }));
    expect(flag.variations.map((v) => [v.name, v.value, v.active])).toEqual([
      ["Live", true, true],
      ["Off", false, false],
    ]);
    expect(Object.keys(flag.environments).sort()).toEqual(["development", "production"]);
    expect(flag.environments.production).toEqual({
      enabled: false,
      rollout_percentage: 100,
      rollout_variation_id: flag.variations[0].id,
      conditions: [],
      default_variation_id: flag.variations[1].id,
      version: 1,
    });
    expect(flag.sharing).toEqual({ share_with_everyone: true, roles: [] });
    expect(flag.version).toBe(1);
  });

  it("toggles a state and records flag.toggled in the change log", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    const state = FlagStateSchema.parse(await json(patchState(tenant, project.id, flag.key, "production", { enabled: true }), 200));
    expect(state).toMatchObject({ enabled: true, version: 2 });
    const events = await json(call(`/projects/${project.id}/events`, { token: tenant.key }), 200);
    expect(events.data.map((e: { event: string }) => e.event)).toEqual(["flag.toggled", "flag.created"]);
    expect(events.data[0].changes).toEqual([{ __typename: "FlagActivated", oldActive: false, newActive: true }]);
    expect(events.data[0].triggered_by.email).toBe(tenant.email);
  });
});
