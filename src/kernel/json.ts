// JSON text and values, the one place they are measured and compared: nesting depth read on the text
// before anything is parsed, and a canonical form (keys sorted) for comparing values.

/** JSON nested deeper than this anywhere in a body, counted from its root (`[]` is 1), is refused. */
export const MAX_JSON_DEPTH = 32;

/** Whether JSON text opens more than `max` arrays or objects at once (brackets inside strings do not count). */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // backslash: the next character is escaped
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > max) return true;
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return false;
}

/**
 * The value as JSON text with every object's keys sorted and keys holding `undefined` left out, so
 * two values are equal as JSON exactly when their canonical forms are; null past `maxDepth` levels
 * (bodies are refused past MAX_JSON_DEPTH before any walk, so this guards only against misuse).
 */
export function canonicalJson(value: unknown, maxDepth = 64, depth = 0): string | null {
  if (depth > maxDepth) return null;
  if (Array.isArray(value)) {
    const items = value.map((v) => canonicalJson(v, maxDepth, depth + 1));
    return items.includes(null) ? null : `[${items.join(",")}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    const parts = entries.map(([k, v]) => [k, canonicalJson(v, maxDepth, depth + 1)] as const);
    return parts.some(([, v]) => v === null) ? null : `{${parts.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
