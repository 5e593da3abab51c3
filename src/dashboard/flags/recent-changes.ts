// Reads of the change log the flag pages need: the changes of one flag, and the last one (a version
// conflict names who changed what). The API lists a project's events newest first and has no filter,
// so the dashboard reads pages of it and keeps the entries that match, within a stated bound.
import type { Api } from "../shell/api";
import type { ChangeLogEntry, Page } from "../shell/resources";

export interface ChangeFilter {
  flag?: string;
  environment?: string;
  person?: string;
}

export function matches(entry: ChangeLogEntry, filter: ChangeFilter): boolean {
  if (filter.flag && entry.flag.key !== filter.flag && entry.flag.id !== filter.flag) return false;
  // A flag-level change (no environment) concerns every environment.
  if (filter.environment && entry.environment && entry.environment.key !== filter.environment) return false;
  if (filter.person && !entry.triggered_by.email.toLowerCase().includes(filter.person.toLowerCase())) return false;
  return true;
}

export interface FilteredChanges {
  entries: ChangeLogEntry[];
  /** Where to read on from, when the bound was reached before the end of the log. */
  next_cursor: string | null;
  scanned: number;
}

const SCAN_PAGE = 200;

/** Up to `want` matching entries, reading at most `maxScan` entries of the log from `cursor`. */
export async function filteredChanges(
  api: Api,
  projectId: string,
  filter: ChangeFilter,
  want: number,
  cursor?: string,
  maxScan = 1000,
): Promise<FilteredChanges> {
  const entries: ChangeLogEntry[] = [];
  let scanned = 0;
  let next: string | null | undefined = cursor;
  const filtering = Boolean(filter.flag || filter.environment || filter.person);
  do {
    const limit = filtering ? SCAN_PAGE : Math.min(want, SCAN_PAGE);
    const page: Page<ChangeLogEntry> = await api.get<Page<ChangeLogEntry>>(`/projects/${projectId}/events`, { limit, cursor: next ?? undefined });
    scanned += page.data.length;
    for (const entry of page.data) if (matches(entry, filter)) entries.push(entry);
    next = page.next_cursor;
    // Stopping mid-page would lose the rest of it; a page is kept whole, and the list may run over `want`.
  } while (next && entries.length < want && scanned < maxScan);
  return { entries, next_cursor: next ?? null, scanned };
}

/** The newest change of a flag (in one environment, or flag-wide), for a conflict's explanation. */
export async function lastChangeOf(api: Api, projectId: string, flagId: string, envKey?: string): Promise<ChangeLogEntry | undefined> {
  // A state's version moves only with changes in its environment, a flag's only with flag-wide ones.
  const page = await api.get<Page<ChangeLogEntry>>(`/projects/${projectId}/events`, { limit: SCAN_PAGE });
  return page.data.find((e) => e.flag.id === flagId && (envKey ? e.environment?.key === envKey : e.environment === null));
}

/** The events of one revision (one save), in the log's order: one change-log entry. */
export interface RevisionGroup {
  revision: number;
  entries: ChangeLogEntry[];
}

/** Consecutive events of one revision as one group; events older than revisions (revision 0) stay alone. */
export function groupByRevision(entries: ChangeLogEntry[]): RevisionGroup[] {
  const groups: RevisionGroup[] = [];
  for (const entry of entries) {
    const last = groups[groups.length - 1];
    if (last && entry.revision > 0 && last.revision === entry.revision) last.entries.push(entry);
    else groups.push({ revision: entry.revision, entries: [entry] });
  }
  return groups;
}

/** Who or what made a change: a person, a schedule (set by a person) or a change request and its approver. */
export function sourceOf(entry: ChangeLogEntry): string {
  const who = entry.triggered_by.email;
  if (entry.schedule_id) return `schedule ${entry.schedule_id.slice(0, 8)}, set by ${who}`;
  if (entry.change_request_id)
    return `change request ${entry.change_request_id.slice(0, 8)} by ${who}${entry.approved_by ? `, approved by ${entry.approved_by.email}` : ""}`;
  return who;
}

/**
 * A page of the change log that never cuts a revision in two: when the page ends inside one, the
 * rest of its events are read from the next page, and `skip` tells that page to leave them out.
 */
export async function changesPage(api: Api, projectId: string, filter: ChangeFilter, want: number, cursor?: string, skip?: number) {
  const page = await filteredChanges(api, projectId, filter, want, cursor);
  const entries = page.entries.slice(skip === undefined ? 0 : leading(page.entries, skip));
  const last = entries[entries.length - 1];
  if (!page.next_cursor || !last || last.revision === 0) return { ...page, entries, skip: undefined };
  const next = await api.get<Page<ChangeLogEntry>>(`/projects/${projectId}/events`, { limit: 20, cursor: page.next_cursor });
  const rest = next.data.slice(0, leading(next.data, last.revision));
  return { ...page, entries: [...entries, ...rest.filter((e) => matches(e, filter))], skip: rest.length ? last.revision : undefined };
}

/** How many entries at the start of the list belong to `revision`. */
function leading(entries: ChangeLogEntry[], revision: number): number {
  const other = entries.findIndex((e) => e.revision !== revision);
  return other === -1 ? entries.length : other;
}
