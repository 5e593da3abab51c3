// One webhook's page (its settings at a glance, the Test button, its delivery history), one
// delivery's page (every attempt, the next retry, the Redeliver button), and the deliveries one
// change caused (linked from the change log).
import { Hono } from "hono";
import { DELIVERY_STATUSES } from "../../webhooks/schemas";
import { ApiFailure } from "../shell/api";
import { idParam, type DashboardContext, type DashboardEnv } from "../shell/context";
import { EVENT_LABELS, eventLabel } from "../shell/format";
import { EmptyState, PageHead, renderPage } from "../shell/layout";
import { noticeFrom } from "../shell/notices";
import type { Delivery, DeliveryDetail, Page, Project, Webhook, WebhookStats } from "../shell/resources";
import { causedDeliveriesPage } from "./caused-deliveries";
import { DeliveryHistory, type HistoryFilter } from "./delivery-history";
import { originsOf } from "./delivery-origins";
import { AttemptCard, DeliveryFacts, newestFirst } from "./delivery-views";
import { RedeliverForm } from "./redeliver-form";
import { HealthSection } from "./webhook-health";
import { ORG_SCOPE, projectIdsOf, webhookCrumbs, WEBHOOKS_CRUMBS, webhookPage, webhookParams, webhooksApi } from "./webhook-scope";
import { SigningSection } from "./webhook-signing";
import { WebhookActions, WebhookFacts } from "./webhook-views";

const PAGE_SIZE = 20;

export function deliveryRoutes() {
  const app = new Hono<DashboardEnv>();
  app.get("/settings/webhooks/:scope/:webhookId", webhookHistoryPage);
  app.get("/settings/webhooks/:scope/:webhookId/deliveries/:deliveryId", deliveryPage);
  app.post("/settings/webhooks/:scope/:webhookId/deliveries/:deliveryId/redeliver", redeliver);
  app.get("/projects/:projectId/changes/:eventId/deliveries", causedDeliveriesPage);
  return app;
}

/** One more attempt of a delivery, now; refused while one of its attempts is in flight. */
async function redeliver(c: DashboardContext) {
  const { scope, webhookId } = webhookParams(c);
  const deliveryId = idParam(c, "deliveryId");
  const page = `${webhookPage(scope, webhookId)}/deliveries/${deliveryId}`;
  try {
    await c.get("api").send("POST", `${webhooksApi(scope)}/${webhookId}/deliveries/${deliveryId}/redeliver`);
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 409) return c.redirect(`${page}?notice=redelivery-busy`, 303);
    throw err;
  }
  return c.redirect(`${page}?notice=redelivery-queued`, 303);
}

/** Only values the API accepts reach it; anything else means "no filter". */
function filterOf(c: DashboardContext): HistoryFilter {
  const status = c.req.query("status") ?? "";
  const event = c.req.query("event") ?? "";
  return { status: (DELIVERY_STATUSES as readonly string[]).includes(status) ? status : "", event: event in EVENT_LABELS ? event : "" };
}

async function webhookHistoryPage(c: DashboardContext) {
  const { scope, webhookId } = webhookParams(c);
  const api = c.get("api");
  const filter = filterOf(c);
  const cursor = c.req.query("cursor");
  const stats = (window: string) => api.get<WebhookStats>(`${webhooksApi(scope)}/${webhookId}/stats`, { window });
  const [webhook, deliveries, project, hour, day] = await Promise.all([
    api.get<Webhook>(`${webhooksApi(scope)}/${webhookId}`),
    api.get<Page<Delivery>>(`${webhooksApi(scope)}/${webhookId}/deliveries`, { ...filter, cursor, limit: PAGE_SIZE }),
    scope === ORG_SCOPE ? Promise.resolve(undefined) : api.get<Project>(`/projects/${scope}`),
    stats("1h"),
    stats("24h"),
  ]);
  const origins = await originsOf(api, await projectIdsOf(api, scope), deliveries.data);
  const csrf = c.get("csrf");
  const base = webhookPage(scope, webhookId);
  const here = new URL(c.req.url);
  const body = (
    <>
      <PageHead title={webhook.name} crumbs={WEBHOOKS_CRUMBS}>
        <WebhookActions scope={scope} webhook={webhook} csrf={csrf} back={here.pathname + here.search} />
      </PageHead>
      <div class="card" id="webhook-facts" data-refresh>
        <WebhookFacts scope={scope} webhook={webhook} project={project} />
      </div>
      <HealthSection hour={hour} day={day} recover={`${base}/recover`} csrf={csrf} />
      <SigningSection
        scope={scope}
        webhook={webhook}
        csrf={csrf}
        said={here.searchParams.get("notice") === "ed25519-created" ? noticeFrom(here.searchParams)?.text : undefined}
      />
      <DeliveryHistory base={base} filter={filter} page={deliveries} cursor={cursor} origins={origins} />
    </>
  );
  return renderPage(c, `${webhook.name} · Webhook`, body, { section: "webhooks" });
}

async function deliveryPage(c: DashboardContext) {
  const { scope, webhookId } = webhookParams(c);
  const deliveryId = idParam(c, "deliveryId");
  const api = c.get("api");
  const [webhook, delivery] = await Promise.all([
    api.get<Webhook>(`${webhooksApi(scope)}/${webhookId}`),
    api.get<DeliveryDetail>(`${webhooksApi(scope)}/${webhookId}/deliveries/${deliveryId}`),
  ]);
  const eventId = delivery.event_id;
  const origin = eventId ? (await originsOf(api, await projectIdsOf(api, scope), [delivery])).get(eventId) : undefined;
  const base = webhookPage(scope, webhookId);
  const attempts = newestFirst(delivery.attempts);
  const title = `${eventLabel(delivery.event)} delivery`;
  const body = (
    <>
      <PageHead title={title} crumbs={webhookCrumbs(scope, webhook)}>
        <RedeliverForm action={`${base}/deliveries/${delivery.id}/redeliver`} delivery={delivery} csrf={c.get("csrf")} />
        <a class="button" href={`${base}/verify?delivery=${delivery.id}`}>
          My receiver says the signature is wrong
        </a>
      </PageHead>
      <div class="card">
        <DeliveryFacts delivery={delivery} origin={origin} health={webhook.health} />
      </div>
      <h2>Attempts, newest first</h2>
      {attempts.length ? (
        attempts.map((attempt) => <AttemptCard attempt={attempt} />)
      ) : (
        <EmptyState title="No attempt yet">
          <p>The first attempt is on its way; reload in a moment.</p>
        </EmptyState>
      )}
    </>
  );
  return renderPage(c, title, body, { section: "webhooks" });
}
