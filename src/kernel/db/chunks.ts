// D1 binds at most 100 parameters per statement, so a query over a page's ids (a page may hold 200)
// runs once per slice of ids and the answers are joined. Other parameters of the statement count
// too: the slice leaves room for them.
export const D1_MAX_BOUND_PARAMETERS = 100;
const SLICE = 90;

export async function inSlices<T, R>(items: readonly T[], query: (slice: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += SLICE) out.push(...(await query(items.slice(i, i + SLICE))));
  return out;
}
