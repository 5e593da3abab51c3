// Webhook fixtures and a view of the real receiver (test/global-setup.ts) on 127.0.0.1.
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import { call, json, type Tenant } from "./helpers";

export interface Received {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

/** A receiver path of the given behaviour, unique to the calling test. */
export function receiverUrl(behaviour: string): string {
  return `${env.RECEIVER_URL}/${behaviour}/${crypto.randomUUID()}`;
}

export async function received(url: string): Promise<Received[]> {
  const path = new URL(url).pathname;
  const res = await fetch(`${env.RECEIVER_URL}/_received?prefix=${encodeURIComponent(path)}`);
  return ((await res.json()) as Received[]).filter((r) => r.url === path);
}

export async function newWebhook(t: Tenant, projectId: string | null, body: Record<string, unknown>) {
  const path = projectId ? `/projects/${projectId}/webhooks` : "/webhooks";
  return json(
    call(path, {
      token: t.key,
      body: { name: "Receiver", events: ["flag.created", "flag.updated", "flag.deleted", "flag.toggled", "flag_state.updated"], ...body },
    }),
    201,
  );
}

export function webhookPath(projectId: string | null, webhookId: string): string {
  return projectId ? `/projects/${projectId}/webhooks/${webhookId}` : `/webhooks/${webhookId}`;
}

export async function deliveriesOf(t: Tenant, projectId: string | null, webhookId: string, query = "") {
  return (await json(call(`${webhookPath(projectId, webhookId)}/deliveries${query}`, { token: t.key }), 200)).data as {
    id: string;
    event: string;
    status: string;
    attempt_count: number;
    next_attempt_at: string | null;
    last_status_code: number | null;
  }[];
}

export async function deliveryDetail(t: Tenant, projectId: string | null, webhookId: string, deliveryId: string) {
  return json(call(`${webhookPath(projectId, webhookId)}/deliveries/${deliveryId}`, { token: t.key }), 200);
}

/** Waits until `check` stops throwing (deliveries travel through the local queue). */
export function eventually<T>(check: () => Promise<T>, timeout = 8000): Promise<T> {
  return vi.waitFor(check, { timeout, interval: 50 });
}

/** Time passes: makes the delivery's next attempt due now, as its alarm would find it. */
export async function makeDue(deliveryId: string): Promise<void> {
  await env.DB.prepare("UPDATE deliveries SET next_attempt_at = ?, enqueued_at = NULL WHERE id = ? AND status = 'pending'")
    .bind(Date.now() - 1, deliveryId)
    .run();
}
