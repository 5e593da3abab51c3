// Text that must not reach a URL, a header or a redirect as typed.

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: they are refused.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** Whether the text holds a C0 control character or DEL (a URL parser would silently drop tabs and newlines). */
export function hasControlCharacter(text: string): boolean {
  return CONTROL_CHARACTER.test(text);
}
