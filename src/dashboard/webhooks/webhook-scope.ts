// A webhook belongs to the organization or to one project; dashboard URLs name that scope as `org`
// or the project's id, and the API's paths follow from it.
import type { Context } from "hono";
import { ApiFailure } from "../shell/api";
import type { Api } from "../shell/api";
import { idParam, isId } from "../shell/context";
import type { Crumb } from "../shell/layout";
import type { Page, Project, Webhook } from "../shell/resources";

export const ORG_SCOPE = "org";

/** The API path of a scope's webhooks. */
export function webhooksApi(scope: string): string {
  return scope === ORG_SCOPE ? "/webhooks" : `/projects/${scope}/webhooks`;
}

/** The dashboard page of one webhook (its settings and delivery history). */
export function webhookPage(scope: string, webhookId: string): string {
  return `/dashboard/settings/webhooks/${scope}/${webhookId}`;
}

/** The crumbs above one webhook's page. */
export const WEBHOOKS_CRUMBS: Crumb[] = [
  { href: "/dashboard/settings/webhooks", label: "Settings" },
  { href: "/dashboard/settings/webhooks", label: "Webhooks" },
];

/** The crumbs above the pages beneath a webhook's own (a delivery, a rotated secret). */
export function webhookCrumbs(scope: string, webhook: Pick<Webhook, "id" | "name">): Crumb[] {
  return [...WEBHOOKS_CRUMBS, { href: webhookPage(scope, webhook.id), label: webhook.name }];
}

/** The scope and webhook id of the URL, or a 404 when they cannot name one. */
export function webhookParams(c: Context): { scope: string; webhookId: string } {
  const scope = c.req.param("scope") ?? "";
  if (!isScope(scope)) throw new ApiFailure(404, "not_found", "no such webhook");
  return { scope, webhookId: idParam(c, "webhookId") };
}

export function isScope(scope: string): boolean {
  return scope === ORG_SCOPE || isId(scope);
}

/** The organization's projects: the scopes a webhook may have (the first 200, as the API lists them). */
export async function projectsOf(api: Api): Promise<Project[]> {
  return (await api.get<Page<Project>>("/projects", { limit: 200 })).data;
}

/** The projects whose changes a webhook of this scope hears. */
export async function projectIdsOf(api: Api, scope: string): Promise<string[]> {
  if (scope !== ORG_SCOPE) return [scope];
  return (await projectsOf(api)).map((p) => p.id);
}
