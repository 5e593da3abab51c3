// The addresses of a flag's pages, which the list, the flag page, the on/off button and the targeting
// editor all link, and the one environment whose changes ask first.

/** Changes here ask for a confirmation first (in the browser, and on a page of their own without JavaScript). */
export const PRODUCTION = "production";

export function flagPath(projectId: string, flagKey: string): string {
  return `/dashboard/projects/${projectId}/flags/${flagKey}`;
}

export function targetingPath(projectId: string, flagKey: string, envKey: string): string {
  return `/dashboard/projects/${projectId}/flags/${flagKey}/targeting/${envKey}`;
}
