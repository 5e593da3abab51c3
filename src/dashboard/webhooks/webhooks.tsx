// Settings → Webhooks: the organization's and each project's webhooks; create, edit, enable or
// disable, delete, and the Test button.
import { Hono } from "hono";
import { ApiFailure } from "../shell/api";
import { formOf, safeNext, textField, type DashboardContext, type DashboardEnv } from "../shell/context";
import { errorsByField } from "../shell/fields";
import { wantsJson } from "../shell/guard";
import { PageHead, renderPage } from "../shell/layout";
import type { EventType, Page, Project, RecoverResult, TestResult, Webhook } from "../shell/resources";
import { NEW_WEBHOOK, parseHeaderLines, readWebhookForm, valuesOf, webhookBody, WebhookForm, type WebhookFormValues } from "./webhook-form";
import { recoverSince } from "./webhook-health";
import { isScope, ORG_SCOPE, projectsOf, webhookPage, webhookParams, webhooksApi } from "./webhook-scope";
import { NoWebhooks, ScopeSection } from "./webhook-views";

const SETTINGS_CRUMBS = [{ href: "/dashboard/settings/webhooks", label: "Settings" }];

export function webhookRoutes() {
  const app = new Hono<DashboardEnv>();
  app.get("/settings/webhooks", webhookListPage);
  app.get("/settings/webhooks/new", newWebhookPage);
  app.post("/settings/webhooks", (c) => saveWebhook(c));
  app.get("/settings/webhooks/:scope/:webhookId/edit", editWebhookPage);
  app.post("/settings/webhooks/:scope/:webhookId/edit", updateWebhook);
  app.post("/settings/webhooks/:scope/:webhookId/enabled", setEnabled);
  app.post("/settings/webhooks/:scope/:webhookId/recover", recoverFailed);
  app.post("/settings/webhooks/:scope/:webhookId/delete", deleteWebhook);
  app.post("/settings/webhooks/:scope/:webhookId/test", testWebhook);
  return app;
}

/** The new-webhook form, its scope chosen when the page was opened from a project's section. */
function newWebhookPage(c: DashboardContext) {
  const scope = c.req.query("scope") ?? "";
  return webhookFormPage(c, { values: { ...NEW_WEBHOOK, scope: isScope(scope) ? scope : ORG_SCOPE } });
}

async function editWebhookPage(c: DashboardContext) {
  const { scope, webhookId } = webhookParams(c);
  const webhook = await c.get("api").get<Webhook>(`${webhooksApi(scope)}/${webhookId}`);
  return webhookFormPage(c, { values: valuesOf(webhook, scope), existing: webhook });
}

async function updateWebhook(c: DashboardContext) {
  const { scope, webhookId } = webhookParams(c);
  return saveWebhook(c, await c.get("api").get<Webhook>(`${webhooksApi(scope)}/${webhookId}`));
}

async function setEnabled(c: DashboardContext) {
  const { scope, webhookId } = webhookParams(c);
  const enabled = textField(await formOf(c), "enabled") === "true";
  await c.get("api").send("PATCH", `${webhooksApi(scope)}/${webhookId}`, { enabled });
  return c.redirect(`${webhookPage(scope, webhookId)}?notice=${enabled ? "webhook-enabled" : "webhook-disabled"}`, 303);
}

/** One more attempt of every failed delivery since the moment the form names. */
async function recoverFailed(c: DashboardContext) {
  const { scope, webhookId } = webhookParams(c);
  const form = await formOf(c);
  const since = recoverSince(textField(form, "since"), textField(form, "since_at"), Date.now());
  if (!since) return c.redirect(`${webhookPage(scope, webhookId)}?notice=recover-invalid#notice`, 303);
  const result = await c.get("api").send<RecoverResult>("POST", `${webhooksApi(scope)}/${webhookId}/recover`, { since });
  return c.redirect(`${webhookPage(scope, webhookId)}?notice=recovered&count=${result.deliveries}#notice`, 303);
}

async function deleteWebhook(c: DashboardContext) {
  const { scope, webhookId } = webhookParams(c);
  await c.get("api").send("DELETE", `${webhooksApi(scope)}/${webhookId}`);
  return c.redirect("/dashboard/settings/webhooks?notice=webhook-deleted", 303);
}

/** The Test button: JSON for the inline button, else back to the page it was pressed on, the outcome in the query. */
async function testWebhook(c: DashboardContext) {
  const { scope, webhookId } = webhookParams(c);
  const result = await c.get("api").send<TestResult>("POST", `${webhooksApi(scope)}/${webhookId}/test`);
  if (wantsJson(c)) return c.json(result);
  const back = new URL(safeNext(textField(await formOf(c), "back")), c.req.url);
  back.searchParams.delete("notice");
  back.searchParams.set("test", result.success ? "success" : "failure");
  back.searchParams.set("status", result.status_code === null ? "none" : String(result.status_code));
  back.searchParams.set("ms", String(result.response_time_ms));
  return c.redirect(back.pathname + back.search, 303);
}

async function webhookListPage(c: DashboardContext) {
  const api = c.get("api");
  const projects = await projectsOf(api);
  const [orgHooks, ...projectHooks] = await Promise.all([
    api.get<Page<Webhook>>("/webhooks", { limit: 200 }),
    ...projects.map((p) => api.get<Page<Webhook>>(`/projects/${p.id}/webhooks`, { limit: 200 })),
  ]);
  const csrf = c.get("csrf");
  const none = orgHooks.data.length === 0 && projectHooks.every((page) => page.data.length === 0);
  const body = (
    <>
      {/* An empty page has one way to start: the empty state's button (the form asks where the webhook belongs). */}
      <PageHead title="Webhooks" crumbs={SETTINGS_CRUMBS}>
        {none ? null : (
          <a class="button primary" href="/dashboard/settings/webhooks/new">
            New webhook
          </a>
        )}
      </PageHead>
      <p class="muted">
        Flagpost sends a signed POST to each enabled webhook when a flag changes, retries failures (by default for about 15 hours), and keeps every attempt.
      </p>
      {none ? <NoWebhooks /> : <WebhookSections orgHooks={orgHooks.data} projects={projects} projectHooks={projectHooks} csrf={csrf} />}
    </>
  );
  return renderPage(c, "Webhooks", body, { section: "webhooks" });
}

interface SectionsProps {
  orgHooks: Webhook[];
  projects: Project[];
  projectHooks: Page<Webhook>[];
  csrf: string;
}

const WebhookSections = ({ orgHooks, projects, projectHooks, csrf }: SectionsProps) => (
  <>
    <ScopeSection
      id="organization"
      title="Organization webhooks"
      intro="Called for changes in every project."
      scope={ORG_SCOPE}
      webhooks={orgHooks}
      csrf={csrf}
    />
    {projects.map((project, i) => (
      <ScopeSection
        id={`project-${project.id}`}
        title={`Project: ${project.name}`}
        intro={`Called for changes in ${project.name} only.`}
        scope={project.id}
        webhooks={projectHooks[i].data}
        csrf={csrf}
      />
    ))}
  </>
);

interface FormPageState {
  values: WebhookFormValues;
  existing?: Webhook;
  errors?: Record<string, string>;
  message?: string;
}

async function webhookFormPage(c: DashboardContext, state: FormPageState) {
  const [projects, catalog] = await Promise.all([projectsOf(c.get("api")), c.get("api").get<Page<EventType>>("/event-types")]);
  const { existing, values } = state;
  const scoped = projects.filter((p) => values.scope === ORG_SCOPE || p.id === values.scope);
  const environmentKeys = [...new Set((existing ? scoped : projects).flatMap((p) => p.environments.map((e) => e.key)))];
  const scopes = existing ? undefined : [{ value: ORG_SCOPE, label: "The organization (every project)" }, ...projects.map(scopeChoice)];
  const title = existing ? `Edit ${existing.name}` : "New webhook";
  const crumbs = existing ? [...SETTINGS_CRUMBS, { href: webhookPage(values.scope, existing.id), label: existing.name }] : SETTINGS_CRUMBS;
  const action = existing ? `${webhookPage(values.scope, existing.id)}/edit` : "/dashboard/settings/webhooks";
  const body = (
    <>
      <PageHead title={title} crumbs={crumbs} />
      <WebhookForm
        action={action}
        csrf={c.get("csrf")}
        values={values}
        errors={state.errors ?? {}}
        message={state.message}
        scopes={scopes}
        environmentKeys={environmentKeys}
        catalog={catalog.data}
        existing={existing}
        submitLabel={existing ? "Save webhook" : "Create webhook"}
      />
    </>
  );
  return renderPage(c, title, body, { section: "webhooks", status: state.message ? 400 : 200 });
}

function scopeChoice(project: Project) {
  return { value: project.id, label: `Project ${project.name}` };
}

/** Creates (no `existing`) or updates a webhook from the form; problems re-render the form. */
async function saveWebhook(c: DashboardContext, existing?: Webhook) {
  const { values, secret } = readWebhookForm(await formOf(c));
  if (existing) values.scope = webhookParams(c).scope;
  const { headers, problems } = parseHeaderLines(values.headers);
  const notSaved = (errors: Record<string, string>) => webhookFormPage(c, { values, existing, errors, message: "The webhook was not saved." });
  if (!isScope(values.scope)) return notSaved({ scope: "Choose where changes come from." });
  if (problems.length) return notSaved({ headers: problems.join(" ") });
  try {
    const path = existing ? `${webhooksApi(values.scope)}/${existing.id}` : webhooksApi(values.scope);
    const saved = await c.get("api").send<Webhook>(existing ? "PATCH" : "POST", path, webhookBody(values, secret, headers, existing));
    return c.redirect(`${webhookPage(values.scope, saved.id)}?notice=${existing ? "webhook-saved" : "webhook-created"}`, 303);
  } catch (err) {
    if (!(err instanceof ApiFailure) || err.status !== 400) throw err;
    const errors = errorsByField(err.issues);
    const message = secret ? "The webhook was not saved. Enter the secret again: it is never sent back to the page." : "The webhook was not saved.";
    return webhookFormPage(c, { values, existing, errors, message });
  }
}
