// One attempt on the wire: prepare the request (open the secret and custom headers, check the URL
// and the body, sign: the one place a delivery request's headers are built), send it, read the
// answer. Whatever goes wrong, in preparation or on the wire, comes back as a logged attempt with
// an error that says why; nothing here throws.
import { FLAGPOST_VERSION, type Settings } from "../kernel/env";
import { signDelivery, type SigningMaterial } from "../outbound/sign";
import { decryptSecret } from "../outbound/secret-box";
import { checkWebhookUrl } from "../outbound/url-guard";
import type { AttemptLog, ClaimedDelivery } from "./lifecycle";
import { keyringOf } from "../outbound/secret-box";
import { openHeaders } from "../outbound/secret-box";

export const RESPONSE_BODY_LIMIT = 16 * 1024;

export interface SentAttempt {
  log: AttemptLog;
  ok: boolean;
  retryAfter: string | null;
}

interface Prepared {
  url: string;
  headers: Record<string, string>;
  /** What the log keeps of the headers: custom values masked. */
  logged: Record<string, string>;
}

type Preparation = { ok: true; request: Prepared } | { ok: false; error: string; url: string };

/** Everything the request needs before it can go: a refusal here is a failed attempt, not a loop. */
async function prepareRequest(row: ClaimedDelivery, settings: Settings, startedAt: number): Promise<Preparation> {
  const url = row.url ?? "";
  if (row.url === null || row.headers === null) return { ok: false, error: "the webhook was deleted", url };
  const allowed = checkWebhookUrl(row.url, { allowInsecure: settings.allowInsecureUrls, ownHosts: settings.publicHosts });
  if (!allowed.ok) return { ok: false, error: `URL no longer allowed: ${allowed.reason}`, url };
  if (!isJson(row.body)) return { ok: false, error: "the delivery's body is missing or is not JSON: it cannot be sent", url };
  let material: SigningMaterial;
  let customHeaders: Record<string, string>;
  try {
    const keyring = keyringOf(settings.secretsKeyring);
    const under = settings.secretsKeyring;
    const open = (sealed: string | null) => opened(under, sealed, async () => (sealed === null ? null : decryptSecret(keyring, sealed)));
    const [secret, previous, ed25519PrivateKey] = await Promise.all([open(row.secret), open(row.previous_secret), open(row.ed25519_private_key)]);
    const expiresAt = row.previous_secret_expires_at;
    material = {
      secret,
      previousSecret: previous === null || expiresAt === null ? null : { secret: previous, expiresAt },
      ed25519PrivateKey,
      format: row.format,
    };
    customHeaders = JSON.parse((await opened(under, row.headers, async () => JSON.stringify(await openHeaders(keyring, row.headers!)))) ?? "{}") as Record<
      string,
      string
    >;
  } catch (err) {
    return {
      ok: false,
      error: `the webhook's secret (or its signing key or headers) cannot be opened with WEBHOOK_SECRETS_KEY: ${(err as Error)?.message ?? String(err)}`,
      url,
    };
  }
  const headers = await signDelivery({
    deliveryId: row.id,
    event: row.event,
    body: row.body!,
    ...material,
    timestampSeconds: Math.floor(startedAt / 1000),
    customHeaders,
    version: FLAGPOST_VERSION,
  });
  if (row.revision !== null) headers["X-Flagpost-Revision"] = String(row.revision);
  return { ok: true, request: { url: row.url, headers, logged: { ...headers, ...(JSON.parse(row.headers_masked ?? "{}") as Record<string, string>) } } };
}

/**
 * What a sealed value opens to under a keyring, kept in the isolate: a webhook's deliveries decrypt
 * its secret and headers once rather than once per attempt. A new secret is a new sealed text and a
 * new keyring another key, so nothing stale is ever served; what fails to open is not kept.
 */
const openedValues = new Map<string, string | null>();
const OPENED_LIMIT = 2_000;

async function opened(keyring: string, sealed: string | null, open: () => Promise<string | null>): Promise<string | null> {
  if (sealed === null) return open();
  const key = `${keyring}\n${sealed}`;
  const known = openedValues.get(key);
  if (known !== undefined) return known;
  const value = await open();
  if (openedValues.size >= OPENED_LIMIT) openedValues.clear();
  openedValues.set(key, value);
  return value;
}

function isJson(body: string | null): boolean {
  if (typeof body !== "string" || body === "") return false;
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
}

/** Prepares and sends one attempt; 2xx within the time-out (its body read) is the only success. */
export async function sendAttempt(row: ClaimedDelivery, settings: Settings): Promise<SentAttempt> {
  const startedAt = Date.now();
  const failed = (error: string, url: string, headers: Record<string, string> = {}): SentAttempt => ({
    log: { startedAt, durationMs: Date.now() - startedAt, request: { url, headers }, response: null, error },
    ok: false,
    retryAfter: null,
  });
  const prepared = await prepareRequest(row, settings, startedAt);
  if (!prepared.ok) return failed(prepared.error, prepared.url);
  const { url, headers, logged } = prepared.request;
  try {
    const res = await fetch(url, { method: "POST", headers, body: row.body, redirect: "manual", signal: AbortSignal.timeout(settings.deliveryTimeoutMs) });
    const body = await readCapped(res, RESPONSE_BODY_LIMIT);
    const response = { status_code: res.status, headers: Object.fromEntries(res.headers), body };
    const error = res.status >= 300 && res.status < 400 ? `redirect to ${res.headers.get("location") ?? "(no location)"} not followed` : null;
    const log = { startedAt, durationMs: Date.now() - startedAt, request: { url, headers: logged }, response, error };
    return { log, ok: res.status >= 200 && res.status < 300, retryAfter: res.headers.get("retry-after") };
  } catch (err) {
    const name = (err as Error)?.name;
    const error =
      name === "TimeoutError" || name === "AbortError"
        ? `timed out after ${settings.deliveryTimeoutMs} ms`
        : `request failed: ${(err as Error)?.message ?? String(err)}`;
    return failed(error, url, logged);
  }
}

/** Reads at most `limit` bytes of the body, then lets the rest go. */
async function readCapped(res: Response, limit: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < limit) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  if (size >= limit) await reader.cancel().catch(() => undefined);
  const all = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.byteLength;
  }
  return new TextDecoder().decode(all.subarray(0, limit));
}
