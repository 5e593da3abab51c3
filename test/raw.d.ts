/** A file's text, imported at build time (Vite's `?raw`): test/settings.test.ts reads the docs and scripts so. */
declare module "*?raw" {
  const text: string;
  export default text;
}
