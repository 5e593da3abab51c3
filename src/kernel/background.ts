// Work that may finish after the answer: the request's waitUntil where there is one; otherwise (an
// in-process call without an execution context) it simply runs on, unawaited. Never throws.

/** What a request offers to hold work open: Hono's context has it as `executionCtx`. */
export interface Holder {
  executionCtx: { waitUntil(promise: Promise<unknown>): void };
}

export function afterAnswer(c: Holder, work: Promise<unknown>): void {
  const settled = work.catch((err) => console.warn("background work failed", err));
  try {
    c.executionCtx.waitUntil(settled);
  } catch {
    // no execution context: the promise runs on by itself
  }
}
