// Which change each delivery carries — its flag, environment and revision — for the history's rows.
// A delivery names only its event id and the API has no read of one event, so the dashboard reads
// the change log of the projects the webhook hears (one project, or every project for an
// organization webhook), newest first, until every delivery of the page is found or the log is older
// than the oldest of them, within a stated bound.
import type { Api } from "../shell/api";
import type { ChangeLogEntry, Delivery, Page } from "../shell/resources";

export interface Origin {
  projectId: string;
  flag: ChangeLogEntry["flag"];
  environment: ChangeLogEntry["environment"];
  revision: number;
}

const LOG_PAGE = 200;
/** Pages of 200 read per project at most: a delivery older than its project's latest 1,000 changes shows no origin. */
export const MAX_LOG_PAGES = 5;
/** Projects an organization webhook's page searches, in the order the API lists them. */
export const MAX_PROJECTS = 50;

export async function originsOf(api: Api, projectIds: string[], deliveries: Delivery[]): Promise<Map<string, Origin>> {
  const wanted = new Set(deliveries.map((d) => d.event_id).filter((id): id is string => id !== null));
  const found = new Map<string, Origin>();
  if (wanted.size === 0) return found;
  // A change's deliveries are created with it: a log entry older than the oldest delivery is not wanted.
  const oldest = Math.min(...deliveries.filter((d) => d.event_id).map((d) => Date.parse(d.created_at)));
  await Promise.all(
    projectIds.slice(0, MAX_PROJECTS).map(async (projectId) => {
      let cursor: string | null | undefined;
      for (let pages = 0; pages < MAX_LOG_PAGES && found.size < wanted.size; pages++) {
        const query = { limit: LOG_PAGE, cursor: cursor ?? undefined };
        const page: Page<ChangeLogEntry> = await api.get<Page<ChangeLogEntry>>(`/projects/${projectId}/events`, query);
        for (const entry of page.data) {
          if (wanted.has(entry.id)) found.set(entry.id, { projectId, flag: entry.flag, environment: entry.environment, revision: entry.revision });
        }
        cursor = page.next_cursor;
        const last = page.data.at(-1);
        if (!cursor || (last && Date.parse(last.timestamp) < oldest - 1000)) break;
      }
    }),
  );
  return found;
}
