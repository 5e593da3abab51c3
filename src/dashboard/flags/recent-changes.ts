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
