// The code that reads a flag: the install line, then a Node program that runs as pasted (OpenFeature
// through Flagpost's OFREP routes, typed by the flag's type, its user defined), and the same
// evaluation with curl. Both need an SDK key of the environment, made on the project's
// "Environments & SDK keys" tab (CONTRACT.md, v1.1). Each block has a copy button; long lines wrap.
import type { FC } from "hono/jsx";
import type { FlagType } from "../../flags/model";
import type { Flag } from "../shell/resources";

const METHOD: Record<FlagType, [string, string]> = {
  boolean: ["getBooleanValue", "false"],
  string: ["getStringValue", '""'],
  number: ["getNumberValue", "0"],
  json: ["getObjectValue", "{}"],
};

export const SNIPPET_FILE = "read-flag.mjs";
export const INSTALL_LINE = "npm install @openfeature/server-sdk @openfeature/ofrep-provider";

export function snippetOf(flag: Pick<Flag, "key" | "type">, origin: string): { install: string; js: string; run: string; curl: string } {
  const [method, fallback] = METHOD[flag.type];
  const js = [
    `// ${SNIPPET_FILE}: FLAGPOST_SDK_KEY=<an SDK key of the environment> node ${SNIPPET_FILE}`,
    'import { OpenFeature } from "@openfeature/server-sdk";',
    'import { OFREPProvider } from "@openfeature/ofrep-provider";',
    "",
    "const provider = new OFREPProvider({",
    `  baseUrl: "${origin}",`,
    '  headers: [["Authorization", `Bearer ${process.env.FLAGPOST_SDK_KEY}`]],',
    "});",
    "await OpenFeature.setProviderAndWait(provider);",
    "const client = OpenFeature.getClient();",
    "",
    "// Who is asking: your signed-in user's id (it decides percentages and rollouts).",
    'const user = { id: "user-123" };',
    "// The second argument is what your code gets when Flagpost cannot answer.",
    `const value = await client.${method}("${flag.key}", ${fallback}, { targetingKey: user.id });`,
    "console.log(value);",
    "await OpenFeature.close();",
  ].join("\n");
  const curl = [
    `curl -s -X POST ${origin}/ofrep/v1/evaluate/flags/${flag.key} \\`,
    '  -H "Authorization: Bearer $FLAGPOST_SDK_KEY" \\',
    '  -H "Content-Type: application/json" \\',
    `  -d '{"context": {"targetingKey": "user-123"}}'`,
  ].join("\n");
  return { install: INSTALL_LINE, js, run: `FLAGPOST_SDK_KEY=<your SDK key> node ${SNIPPET_FILE}`, curl };
}

const CodeBlock: FC<{ id: string; label: string; text: string }> = ({ id, label, text }) => (
  <figure class="snippet" aria-label={label}>
    <pre id={id}>{text}</pre>
    <button type="button" class="small-button" data-copy={id} aria-label={`Copy: ${label}`}>
      Copy
    </button>
  </figure>
);

export const SdkSnippet: FC<{ flag: Flag; origin: string; projectId: string }> = ({ flag, origin, projectId }) => {
  const { install, js, run, curl } = snippetOf(flag, origin);
  return (
    <div class="card">
      <p class="small">1. Install OpenFeature and its OFREP provider (Node 18 or later):</p>
      <CodeBlock id="snippet-install" label="Install line" text={install} />
      <p class="small">
        2. Save this as <code>{SNIPPET_FILE}</code>:
      </p>
      <CodeBlock id="snippet-js" label={`Reading ${flag.key} with OpenFeature`} text={js} />
      <p class="small">
        3. Run it with an SDK key of the environment to read, from the <a href={`/dashboard/projects/${projectId}/sdk-keys`}>Environments &amp; SDK keys</a>{" "}
        tab: <code>{run}</code>
      </p>
      <p class="small muted">The same evaluation with curl:</p>
      <CodeBlock id="snippet-curl" label={`Reading ${flag.key} with curl`} text={curl} />
    </div>
  );
};
