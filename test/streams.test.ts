// OFREP event streams (CONTRACT.md v1.2, "Changes pushed to SDKs"): eventStreams in bulk answers,
// the SSE route's headers and event shape, one event per revision that changes the key's environment
// (and none for another environment's or another organization's), Last-Event-ID, keep-alive
// comments, 401 for bad, forged, expired or revoked tokens, revoked keys' streams closed, and
// flagConfigEtag as min_revision.
import { env, exports } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { streamToken } from "../src/serve/stream-token";
import { call, expectError, json, newFlag, patchFlag, patchState, setup } from "./helpers";
import { newSdkKey, ofrep, ROOT } from "./serve-helpers";

interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** Reads an event stream frame by frame; `next` waits for the next event or comment, up to a deadline. */
class SseReader {
  private buffer = "";
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  done = false;

  constructor(readonly res: Response) {
    this.reader = res.body!.getReader();
    open.push(this);
  }

  async next(timeoutMs = 5000): Promise<SseEvent | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.buffer.indexOf("\n\n");
      if (end >= 0) {
        const frame = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        return parseFrame(frame);
      }
      if (this.done) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no event within ${timeoutMs} ms; buffered: ${JSON.stringify(this.buffer)}`);
      const chunk = await Promise.race([this.reader.read(), new Promise<"timeout">((r) => setTimeout(() => r("timeout"), left))]);
      if (chunk === "timeout") continue;
      if (chunk.done) this.done = true;
      else this.buffer += this.decoder.decode(chunk.value, { stream: true });
    }
  }

  /** The next event that is not a comment. */
  async nextEvent(timeoutMs = 5000): Promise<SseEvent | null> {
    for (;;) {
      const frame = await this.next(timeoutMs);
      if (frame === null || frame.comment === undefined) return frame;
    }
  }

  async cancel() {
    await this.reader.cancel().catch(() => {});
  }
}

function parseFrame(frame: string): SseEvent {
  const out: SseEvent = {};
  for (const line of frame.split("\n")) {
    if (line.startsWith(":")) out.comment = line.slice(1).trim();
    else {
      const i = line.indexOf(":");
      const field = line.slice(0, i) as "id" | "event" | "data";
      out[field] = line.slice(i + 1).replace(/^ /, "");
    }
  }
  return out;
}

const open: SseReader[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.cancel();
});

async function bulk(key: string, query = "") {
  return json(ofrep(key, null, { context: { targetingKey: "u" } }, {}, query), 200);
}

/** Opens the stream a bulk answer advertises. */
async function connect(key: string, headers: Record<string, string> = {}, query = ""): Promise<SseReader> {
  const body = await bulk(key);
  const res = await exports.default.fetch(`${ROOT}${body.eventStreams[0].endpoint.requestUri}${query}`, { headers });
  if (res.status !== 200) throw new Error(`stream answered ${res.status}: ${await res.text()}`);
  const reader = new SseReader(res);
  expect((await reader.next())?.comment).toBe("open"); // registered with its shard: later changes reach it
  return reader;
}

async function fixture() {
  const { tenant, project } = await setup();
  await newFlag(tenant, project.id, { key: "checkout" });
  const key = await newSdkKey(tenant, project.id, "production");
  return { tenant, project, key };
}

async function revisionOf(tenant: { key: string }, projectId: string): Promise<number> {
  return (await json(call(`/projects/${projectId}`, { token: tenant.key }), 200)).revision;
}

function expectRevisionEvent(event: SseEvent | null, revision: number) {
  expect(event).not.toBeNull();
  expect(event!.id).toBe(String(revision));
  expect(event!.event).toBe("message");
  const data = JSON.parse(event!.data!);
  expect(Object.keys(data).sort()).toEqual(["etag", "lastModified", "type"]);
  expect(data.type).toBe("refetchEvaluation");
  expect(data.etag).toBe(String(revision));
  expect(Number.isInteger(data.lastModified)).toBe(true);
  expect(Math.abs(data.lastModified - Date.now() / 1000)).toBeLessThan(120);
}

describe("eventStreams in bulk answers", () => {
  it("advertises one SSE stream with an opaque token, for server and client keys, never the key itself", async () => {
    const { tenant, project, key } = await fixture();
    const client = await newSdkKey(tenant, project.id, "production", "client");
    for (const k of [key, client]) {
      const body = await bulk(k.key);
      expect(body.eventStreams).toHaveLength(1);
      const [stream] = body.eventStreams;
      expect(stream.type).toBe("sse");
      expect(stream.inactivityDelaySec).toBe(120);
      expect(stream.endpoint.requestUri).toMatch(/^\/ofrep\/v1\/stream\?token=[A-Za-z0-9_.-]+$/);
      expect(stream.endpoint.requestUri).not.toContain(k.key);
      expect(stream.endpoint.requestUri).not.toContain(k.key.slice(-16));
    }
    expect((await bulk(key.key)).eventStreams).toEqual((await bulk(key.key)).eventStreams); // stable: the provider keeps its connection
  });

  it("flagConfigEtag=R reflects revision R or later, as min_revision does; above the project's revision: 400", async () => {
    const { tenant, project, key } = await fixture();
    const revision = await revisionOf(tenant, project.id);
    expect((await bulk(key.key, `?flagConfigEtag=${revision}`)).metadata.revision).toBeGreaterThanOrEqual(revision);
    const res = await ofrep(key.key, null, { context: {} }, {}, `?flagConfigEtag=${revision + 1000}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errorCode: string }).errorCode).toBe("PARSE_ERROR");
  });
});

describe("GET /ofrep/v1/stream", () => {
  it("answers an event stream with CORS, and one refetchEvaluation event per change of its environment", async () => {
    const { tenant, project, key } = await fixture();
    const stream = await connect(key.key);
    expect(stream.res.headers.get("content-type")).toBe("text/event-stream");
    expect(stream.res.headers.get("cache-control")).toBe("no-store");
    expect(stream.res.headers.get("access-control-allow-origin")).toBe("*");

    await json(patchState(tenant, project.id, "checkout", "production", { enabled: true }), 200);
    expectRevisionEvent(await stream.nextEvent(), await revisionOf(tenant, project.id));
    await json(patchState(tenant, project.id, "checkout", "production", { enabled: false }), 200);
    const revision = await revisionOf(tenant, project.id);
    expectRevisionEvent(await stream.nextEvent(), revision);
    // The refetch the event asks for reflects that revision.
    expect((await bulk(key.key, `?flagConfigEtag=${revision}`)).flags[0].value).toBe(false);
  });

  it("sends nothing for another environment's change, and an event for a flag-level change", async () => {
    const { tenant, project, key } = await fixture();
    const stream = await connect(key.key);
    await json(patchState(tenant, project.id, "checkout", "development", { enabled: true }), 200); // not production's
    await json(patchFlag(tenant, project.id, "checkout", { name: "Checkout, renamed" }), 200); // every environment's
    const first = await stream.nextEvent();
    expectRevisionEvent(first, await revisionOf(tenant, project.id)); // the development change sent nothing before it
  });

  it("sends nothing for another organization's changes", async () => {
    const a = await fixture();
    const b = await fixture();
    const stream = await connect(a.key.key);
    await json(patchState(b.tenant, b.project.id, "checkout", "production", { enabled: true }), 200);
    await json(patchState(a.tenant, a.project.id, "checkout", "production", { enabled: true }), 200);
    expectRevisionEvent(await stream.nextEvent(), await revisionOf(a.tenant, a.project.id));
    // b's key does not open a's environment: its token names its own key and environment.
    const bToken = new URL(`${ROOT}${(await bulk(b.key.key)).eventStreams[0].endpoint.requestUri}`).searchParams.get("token");
    const aToken = new URL(`${ROOT}${(await bulk(a.key.key)).eventStreams[0].endpoint.requestUri}`).searchParams.get("token");
    expect(bToken).not.toBe(aToken);
  });

  it("on Last-Event-ID (header or query) sends the latest revision after it at once, and nothing when there is none", async () => {
    const { tenant, project, key } = await fixture();
    await json(patchState(tenant, project.id, "checkout", "production", { enabled: true }), 200);
    const before = await revisionOf(tenant, project.id);
    await json(patchState(tenant, project.id, "checkout", "production", { rollout_percentage: 50 }), 200);
    await json(patchState(tenant, project.id, "checkout", "development", { enabled: true }), 200); // not production's
    const latest = before + 1;

    const byHeader = await connect(key.key, { "last-event-id": String(before - 1) });
    expectRevisionEvent(await byHeader.nextEvent(), latest);
    const byQuery = await connect(key.key, {}, `&last_event_id=${before - 1}`);
    expectRevisionEvent(await byQuery.nextEvent(), latest);

    const current = await connect(key.key, { "last-event-id": String(latest) });
    await json(patchState(tenant, project.id, "checkout", "production", { enabled: false }), 200);
    expectRevisionEvent(await current.nextEvent(), await revisionOf(tenant, project.id)); // nothing came before it
  });

  it("keeps the connection open with comment lines", async () => {
    const { key } = await fixture();
    const stream = await connect(key.key);
    expect((await stream.next(5000))?.comment).toBe("keep-alive"); // every EVENT_STREAM_TICK_SECONDS (1 s here, 15 s deployed)
  });

  it("refuses a missing, malformed, forged or expired token, and another key's, with 401", async () => {
    const { key } = await fixture();
    const uri = (await bulk(key.key)).eventStreams[0].endpoint.requestUri as string;
    const token = new URL(`${ROOT}${uri}`).searchParams.get("token")!;
    const [payload, mac] = token.split(".");
    const principal = (await env.DB.prepare("SELECT id, environment_id FROM sdk_keys ORDER BY created_at DESC LIMIT 1").first<{
      id: string;
      environment_id: string;
    }>())!;
    const expired = await streamToken(env, principal.id, principal.environment_id, Date.now() - 25 * 3600 * 1000);
    const forged = `${btoa(`${crypto.randomUUID()}.${principal.environment_id}.9999999999`).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_")}.${mac}`;
    for (const bad of ["", "nope", `${payload}.${mac.slice(0, -2)}AA`, `${payload}x.${mac}`, forged, expired, key.key]) {
      const res = await exports.default.fetch(`${ROOT}/ofrep/v1/stream?token=${encodeURIComponent(bad)}`);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      await expectError(res, 401, "unauthorized");
    }
  });

  it("closes a revoked key's streams (at once through the API, within a tick when the row just goes) and refuses its token", async () => {
    const { tenant, project, key } = await fixture();
    const stream = await connect(key.key);
    const uri = (await bulk(key.key)).eventStreams[0].endpoint.requestUri as string;
    const res = await call(`/projects/${project.id}/environments/production/sdk-keys/${key.id}`, { token: tenant.key, method: "DELETE" });
    expect(res.status).toBe(204);
    expect(await stream.nextEvent(10_000)).toBeNull(); // the stream ended
    await expectError(exports.default.fetch(`${ROOT}${uri}`), 401, "unauthorized");

    const other = await newSdkKey(tenant, project.id, "production");
    const second = await connect(other.key);
    await env.DB.prepare("DELETE FROM sdk_keys WHERE id = ?").bind(other.id).run(); // no route told the streams
    expect(await second.nextEvent(10_000)).toBeNull();
  }, 25_000);
});
