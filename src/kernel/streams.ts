// Where an environment's OFREP event streams live (CONTRACT.md v1.2, "Changes pushed to SDKs"): in
// EVENT_STREAM_SHARDS Durable Objects (serve/streams-do.ts) named `<environment id>:<shard>`. A new
// stream picks its shard by its token's hash; whoever tells the streams something (the project's
// writer after a commit, a key's revocation, the propagation count) tells every shard. Here, on the
// lowest floor, so the writer and the SDK key routes can reach the objects without importing them.

/** What the streams' objects answer over RPC (serve/streams-do.ts implements it). */
export interface StreamsObject {
  /** Revisions that changed what the environment serves, oldest first, each with its commit's Unix seconds. */
  notify(notices: { revision: number; lastModified: number }[]): Promise<void>;
  /** Closes the open streams of a revoked key. */
  closeKey(keyId: string): Promise<number>;
  /** Open streams by SDK key id. */
  counts(): Promise<Record<string, number>>;
}

export const DEFAULT_STREAM_SHARDS = 1;
export const MAX_STREAM_SHARDS = 64;

/** EVENT_STREAM_SHARDS, 1 to 64 (default 1). */
export function streamShards(env: Env): number {
  const raw = Number((env as unknown as Record<string, string | undefined>).EVENT_STREAM_SHARDS);
  return Number.isInteger(raw) && raw >= 1 ? Math.min(raw, MAX_STREAM_SHARDS) : DEFAULT_STREAM_SHARDS;
}

/**
 * Whether bulk answers advertise event streams: EVENT_STREAMS=off turns them off, and so does a
 * missing WEBHOOK_SECRETS_KEY (the streams' tokens are signed under a key derived from it).
 */
export function streamsEnabled(env: Env): boolean {
  const vars = env as unknown as Record<string, string | undefined>;
  return vars.EVENT_STREAMS !== "off" && Boolean(vars.WEBHOOK_SECRETS_KEY);
}

export function streamsObject(env: Env, environmentId: string, shard: number): StreamsObject {
  return env.STREAMS.getByName(`${environmentId}:${shard}`) as unknown as StreamsObject;
}

/** Every shard of an environment. */
export function allStreamsObjects(env: Env, environmentId: string): StreamsObject[] {
  return Array.from({ length: streamShards(env) }, (_, shard) => streamsObject(env, environmentId, shard));
}
