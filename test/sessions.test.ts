// D1 sessions: every answer carries a bookmark, and a read that sends it back sees the write.
import { describe, expect, it } from "vitest";
import { call, newFlag, patchState, setup } from "./helpers";

describe("read-your-writes with D1 bookmarks", () => {
  it("a flag write answers a bookmark, and a read with it sees the write", async () => {
    const { tenant, project } = await setup();
    const flag = await newFlag(tenant, project.id);
    const write = await patchState(tenant, project.id, flag.key, "production", { enabled: true });
    const bookmark = write.headers.get("x-d1-bookmark");
    expect(bookmark).toBeTruthy();
    const read = await call(`/projects/${project.id}/flags/${flag.key}/environments/production`, { token: tenant.key, headers: { "x-d1-bookmark": bookmark! } });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ enabled: true, version: 2 });
    expect(read.headers.get("x-d1-bookmark")).toBeTruthy();
  });

  it("a write that does not go through the writer answers a bookmark too", async () => {
    const { tenant } = await setup();
    const res = await call("/projects", { token: tenant.key, body: { key: "bookmarked", name: "B" } });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-d1-bookmark")).toBeTruthy();
  });
});
