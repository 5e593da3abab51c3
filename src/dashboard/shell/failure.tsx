// The pages of what no page handled itself: an address that names nothing, and an error a page let
// through (an ended key signs out, a missing resource is a 404 page, anything unexpected a 500).
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiFailure } from "./api";
import type { DashboardContext } from "./context";
import { endSession, refuse, toSignIn, wantsJson } from "./guard";
import { EmptyState, PageHead, renderPage } from "./layout";

export function notFound(c: DashboardContext) {
  const body = (
    <>
      <PageHead title="Not found" />
      <EmptyState title="There is nothing here">
        <p>It may have been deleted, or it belongs to another organization.</p>
        <p>
          <a class="button primary" href="/dashboard">
            Go to your projects
          </a>
        </p>
      </EmptyState>
    </>
  );
  return renderPage(c, "Not found", body, { status: 404 });
}

/** Errors no page handled itself: an ended key signs out, a missing resource is a 404 page. */
export function renderFailure(err: Error, c: DashboardContext) {
  if (err instanceof ApiFailure) {
    if (err.status === 401) {
      endSession(c);
      return toSignIn(c, "key-rejected");
    }
    if (err.status === 404) return wantsJson(c) ? c.json({ error: err.message }, 404) : notFound(c);
    if (err.status === 403) return refuse(c as Context, err.message);
  }
  const requestId = err instanceof ApiFailure && err.requestId ? err.requestId : (c.get("requestId") ?? crypto.randomUUID());
  if (!(err instanceof ApiFailure)) console.error("dashboard error", requestId, err);
  const message = err instanceof ApiFailure ? err.message : "Something went wrong on our side.";
  // An API refusal keeps its status (429 stays 429); anything unexpected is ours, a 500.
  const status = err instanceof ApiFailure && err.status >= 400 && err.status < 500 ? (err.status as ContentfulStatusCode) : 500;
  if (wantsJson(c)) return c.json({ error: `${message} (request ${requestId})` }, status);
  const body = (
    <>
      <PageHead title="Something went wrong" />
      <EmptyState title={message}>
        <p>
          Try again in a moment. If it keeps happening, quote request <code>{requestId}</code>.
        </p>
        <p>
          <a href="/dashboard">Back to your projects</a>
        </p>
      </EmptyState>
    </>
  );
  return renderPage(c, "Something went wrong", body, { status });
}
