// StreamsDO — one shard of one environment's OFREP event streams (CONTRACT.md v1.2, "Changes pushed
// to SDKs"; kernel/streams.ts names the shards).
//
// - The Worker's stream route checks the token and hands the connection here (fetch); the object
//   answers with a text/event-stream it keeps open and remembers, with the SDK key it belongs to.
// - The project's writer tells every shard of an environment, after a commit, the revisions that
//   changed it (notify); each open stream gets one `refetchEvaluation` event per revision, never one
//   it has already had, never an older one after a newer.
// - A new stream that names a Last-Event-ID N gets, at once, one event for the environment's latest
//   revision after N, if there is one (read from the change log).
// - Every tick (EVENT_STREAM_TICK_SECONDS, default 15 s) each stream gets a comment line (keep-alive)
//   and the object asks D1 whether its streams' keys are still live: a revoked key's streams close
//   within a tick and a read, well inside the contract's 30 s. A revocation also tells the shards at
//   once (closeKey).
// - It holds streams, so it cannot hibernate: docs/architecture.md ("Event streams") says what that
//   costs and why the connections are sharded.
import { DurableObject } from "cloudflare:workers";

const encoder = new TextEncoder();
const KEEP_ALIVE = encoder.encode(": keep-alive\n\n");
/** A stream this far behind (bytes queued, unread) belongs to a client that is gone: it is closed. */
const MAX_QUEUED_BYTES = 64 * 1024;

interface Stream {
  keyId: string;
  writer: WritableStreamDefaultWriter<Uint8Array>;
  /** The last revision this stream was sent. */
  sent: number;
  /** Bytes written and not yet read by the client. */
  queued: number;
}

export interface Notice {
  revision: number;
  lastModified: number;
}

export class StreamsDO extends DurableObject<Env> {
  private readonly streams = new Set<Stream>();
  private tick: ReturnType<typeof setInterval> | null = null;

  /** Opens a stream: headers x-key-id, x-project-id, x-environment-id, and x-last-event-id if resuming. */
  override async fetch(request: Request): Promise<Response> {
    const keyId = request.headers.get("x-key-id") ?? "";
    // The runtime's own byte pipe: lighter per connection than a JavaScript TransformStream.
    const { readable, writable } = new IdentityTransformStream();
    const stream: Stream = { keyId, writer: writable.getWriter(), sent: 0, queued: 0 };
    this.streams.add(stream);
    stream.writer.closed.catch(() => this.forget(stream)); // the client went away
    this.startTicking();
    void this.send(stream, encoder.encode(": open\n\n"));
    const resume = request.headers.get("x-last-event-id");
    if (resume !== null) {
      const after = Number(resume);
      stream.sent = after;
      void this.latestAfter(request.headers.get("x-project-id") ?? "", request.headers.get("x-environment-id") ?? "", after).then(
        (latest) => latest && this.deliver(stream, latest),
        (err) => console.warn("event streams: Last-Event-ID not resolved", err),
      );
    }
    return new Response(readable, {
      status: 200,
      headers: { "Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no" },
    });
  }

  async notify(notices: Notice[]): Promise<void> {
    for (const notice of notices) for (const stream of this.streams) this.deliver(stream, notice);
  }

  async closeKey(keyId: string): Promise<number> {
    let closed = 0;
    for (const stream of this.streams) {
      if (stream.keyId !== keyId) continue;
      this.close(stream);
      closed++;
    }
    return closed;
  }

  async counts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const stream of this.streams) out[stream.keyId] = (out[stream.keyId] ?? 0) + 1;
    return out;
  }

  private deliver(stream: Stream, notice: Notice): void {
    if (notice.revision <= stream.sent) return;
    stream.sent = notice.revision;
    const data = JSON.stringify({ type: "refetchEvaluation", etag: String(notice.revision), lastModified: notice.lastModified });
    void this.send(stream, encoder.encode(`id: ${notice.revision}\nevent: message\ndata: ${data}\n\n`));
  }

  private async send(stream: Stream, bytes: Uint8Array): Promise<void> {
    if (!this.streams.has(stream)) return;
    if (stream.queued > MAX_QUEUED_BYTES) {
      this.close(stream);
      return;
    }
    stream.queued += bytes.byteLength;
    try {
      await stream.writer.write(bytes);
      stream.queued -= bytes.byteLength;
    } catch {
      this.forget(stream); // the client went away
    }
  }

  private close(stream: Stream): void {
    this.forget(stream);
    stream.writer.close().catch(() => {});
  }

  private forget(stream: Stream): void {
    this.streams.delete(stream);
    if (!this.streams.size && this.tick) {
      clearInterval(this.tick);
      this.tick = null;
    }
  }

  private startTicking(): void {
    if (this.tick) return;
    const seconds = Number((this.env as unknown as Record<string, string | undefined>).EVENT_STREAM_TICK_SECONDS) || 15;
    this.tick = setInterval(() => void this.onTick(), Math.min(seconds, 25) * 1000);
  }

  private async onTick(): Promise<void> {
    for (const stream of this.streams) void this.send(stream, KEEP_ALIVE);
    await this.closeRevoked();
  }

  /** Closes the streams whose keys are no longer in D1 (revoked). */
  private async closeRevoked(): Promise<void> {
    const keys = [...new Set([...this.streams].map((s) => s.keyId))];
    const live = new Set<string>();
    try {
      for (let i = 0; i < keys.length; i += 90) {
        const chunk = keys.slice(i, i + 90);
        const { results } = await this.env.DB.prepare(`SELECT id FROM sdk_keys WHERE id IN (${chunk.map(() => "?").join(",")})`)
          .bind(...chunk)
          .all<{ id: string }>();
        for (const row of results) live.add(row.id);
      }
    } catch (err) {
      console.warn("event streams: could not check keys", err);
      return; // D1 unreachable: keep the streams rather than close live ones
    }
    for (const stream of this.streams) if (!live.has(stream.keyId)) this.close(stream);
  }

  /** The environment's latest revision after `after`, from the change log (flag-level events count for every environment). */
  private async latestAfter(projectId: string, environmentId: string, after: number): Promise<Notice | null> {
    const row = await this.env.DB.prepare(
      `SELECT revision, MAX(created_at) AS at FROM events
       WHERE project_id = ? AND revision > ? AND (environment_id = ? OR environment_id IS NULL)
       GROUP BY revision ORDER BY revision DESC LIMIT 1`,
    )
      .bind(projectId, after, environmentId)
      .first<{ revision: number; at: number }>();
    return row ? { revision: row.revision, lastModified: Math.floor(row.at / 1000) } : null;
  }
}
