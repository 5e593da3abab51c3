// The page frame and the small pieces every page shares: status pills, notices, empty states, times.
import type { Child, FC, PropsWithChildren } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { STYLE_PATH } from "./assets";
import type { DashboardContext } from "./context";
import type { FieldErrors } from "./fields";
import { formatTime } from "./format";
import { noticeFrom } from "./notices";
import type { Me } from "./resources";

export type Section = "projects" | "webhooks" | "api-keys";

export const ICON =
  "data:image/svg+xml," +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#3b4cca"/>' +
      '<path d="M10 6v21M10 7h12l-3 5 3 5H10" stroke="#fff" stroke-width="3" fill="none" stroke-linejoin="round"/></svg>',
  );

interface FrameProps {
  title: string;
  scriptPath: string;
  me?: Me;
  csrf?: string;
  section?: Section;
}

const Frame: FC<PropsWithChildren<FrameProps>> = ({ title, scriptPath, me, csrf, section, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${title} · Flagpost`}</title>
      <link rel="icon" href={ICON} />
      <link rel="stylesheet" href={STYLE_PATH} />
      <script src={scriptPath} defer></script>
    </head>
    <body>
      <a class="skip" href="#main">
        Skip to content
      </a>
      {me && csrf ? <TopBar me={me} csrf={csrf} section={section} /> : null}
      <main id="main">{children}</main>
    </body>
  </html>
);

const TopBar: FC<{ me: Me; csrf: string; section?: Section }> = ({ me, csrf, section }) => (
  <header class="top">
    <div class="bar">
      <a class="brand" href="/dashboard">
        <img src={ICON} alt="" width="22" height="22" /> Flagpost
      </a>
      <nav aria-label="Main">
        <a href="/dashboard" aria-current={section === "projects" ? "page" : undefined}>
          Projects &amp; flags
        </a>
        <a href="/dashboard/settings/webhooks" aria-current={section === "webhooks" ? "page" : undefined}>
          Settings › Webhooks
        </a>
        <a href="/dashboard/settings/api-keys" aria-current={section === "api-keys" ? "page" : undefined}>
          API keys
        </a>
      </nav>
      <div class="who">
        <span>
          <strong>{me.org.name}</strong> · {me.user.email}
        </span>
        <form method="post" action="/dashboard/sign-out">
          <CsrfField token={csrf} />
          <button type="submit">Sign out</button>
        </form>
      </div>
    </div>
  </header>
);

export interface PageOptions {
  section?: Section;
  status?: ContentfulStatusCode;
  /** More words for the notice the page was redirected with, from the page that knows them. */
  noticeDetail?: string | null;
}

/** Renders a full page for the signed-in person (or the sign-in page when there is nobody yet). */
export async function renderPage(c: DashboardContext, title: string, body: Child, options: PageOptions = {}) {
  const me = c.get("me");
  const csrf = c.get("csrf");
  const notice = noticeFrom(new URL(c.req.url).searchParams);
  const page = (
    <Frame title={title} scriptPath={c.get("scriptPath")} me={me} csrf={csrf} section={options.section}>
      {notice ? (
        <Notice kind={notice.kind} id="notice">
          {notice.text}
          {options.noticeDetail ? <p>{options.noticeDetail}</p> : null}
        </Notice>
      ) : null}
      {body}
    </Frame>
  );
  return c.html(`<!doctype html>${await page.toString()}`, options.status ?? 200);
}

export const CsrfField: FC<{ token: string }> = ({ token }) => <input type="hidden" name="_csrf" value={token} />;

export type Tone = "ok" | "bad" | "warn" | "off";

/** Status always in colour and in words, so it reads without colour too. */
export const Pill: FC<PropsWithChildren<{ tone: Tone }>> = ({ tone, children }) => <span class={`pill ${tone}`}>{children}</span>;

type NoticeProps = PropsWithChildren<{ kind: "success" | "error" | "info" | "warn"; id?: string; autofocus?: boolean }>;

export const Notice: FC<NoticeProps> = ({ kind, id, autofocus, children }) => (
  <div class={`notice ${kind}`} role={kind === "error" ? "alert" : "status"} id={id} tabindex={id ? -1 : undefined} autofocus={autofocus}>
    {children}
  </div>
);

export const EmptyState: FC<PropsWithChildren<{ title: string }>> = ({ title, children }) => (
  <div class="card empty">
    <h3>{title}</h3>
    {children}
  </div>
);

export const Time: FC<{ iso: string | null }> = ({ iso }) =>
  iso ? (
    <time datetime={iso} data-local>
      {formatTime(iso)}
    </time>
  ) : (
    <span class="muted">—</span>
  );

export interface Crumb {
  href: string;
  label: string;
}

export const PageHead: FC<PropsWithChildren<{ title: string; crumbs?: Crumb[] }>> = ({ title, crumbs, children }) => (
  <div class="head">
    <div>
      {crumbs?.length ? (
        <p class="crumbs">
          {crumbs.map((crumb, i) => (
            <>
              {i > 0 ? " › " : ""}
              <a href={crumb.href}>{crumb.label}</a>
            </>
          ))}
        </p>
      ) : null}
      <h1>{title}</h1>
    </div>
    {children ? <div class="actions">{children}</div> : null}
  </div>
);

/** The pager of a list read by cursor: back to the newest page (when this is not it), on to older ones (when there are). */
export const Pager: FC<{ what: string; newest?: string; older?: string }> = ({ what, newest, older }) => (
  <p class="pager">
    {newest ? <a href={newest}>← Newest {what}</a> : <span />}
    {older ? (
      <a class="button" href={older}>
        Older {what} →
      </a>
    ) : null}
  </p>
);

/** A form's problems at its top, each linking to its field, as well as beside the field itself. */
export const ErrorSummary: FC<{ message: string; errors: FieldErrors; fieldIds: Record<string, string> }> = ({ message, errors, fieldIds }) => {
  const issues = Object.entries(errors);
  return (
    <div class="notice error" role="alert" tabindex={-1} id="form-errors">
      <strong>{message}</strong>
      {issues.length ? (
        <ul>
          {issues.map(([field, text]) => (
            <li>{fieldIds[field] ? <a href={`#${fieldIds[field]}`}>{text}</a> : text}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
};

/** A name that may be one long word: it truncates on one line, with the whole of it on hover. */
export const LongName: FC<{ text: string; tag?: "strong" | "span" }> = ({ text, tag }) =>
  tag === "strong" ? (
    <strong class="truncate" title={text}>
      {text}
    </strong>
  ) : (
    <span class="truncate" title={text}>
      {text}
    </span>
  );

/** Copies an element's text; only with JavaScript (the text is selectable without it). */
export const CopyButton: FC<{ target: string; label: string }> = ({ target, label }) => (
  <button type="button" class="js-only small-button" data-copy={target}>
    {label}
  </button>
);
