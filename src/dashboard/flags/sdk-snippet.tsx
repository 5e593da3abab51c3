// The code that reads a flag: OpenFeature through Flagpost's OFREP routes, typed by the flag's type,
// and the same evaluation with curl. Both need an SDK key of the environment (CONTRACT.md, v1.1).
import type { FC } from "hono/jsx";
import type { FlagType } from "../../flags/model";
import type { Flag } from "../shell/resources";

const METHOD: Record<FlagType, [string, string]> = {
  boolean: ["getBooleanValue", "false"],
  string: ["getStringValue", '""'],
  number: ["getNumberValue", "0"],
  json: ["getObjectValue", "{}"],
};

export function snippetOf(flag: Pick<Flag, "key" | "type">, origin: string): { js: string; curl: string } {
  const [method, fallback] = METHOD[flag.type];
  const js = [
    'import { OpenFeature } from "@openfeature/server-sdk";',
    'import { OFREPProvider } from "@openfeature/ofrep-provider";',
    "",
    "await OpenFeature.setProviderAndWait(",
    `  new OFREPProvider({ baseUrl: "${origin}", headers: [["Authorization", \`Bearer \${process.env.FLAGPOST_SDK_KEY}\`]] }),`,
    ");",
    "const client = OpenFeature.getClient();",
    `const value = await client.${method}("${flag.key}", ${fallback}, { targetingKey: user.id });`,
  ].join("\n");
  const curl = [
    `curl -s -X POST ${origin}/ofrep/v1/evaluate/flags/${flag.key} \\`,
    '  -H "Authorization: Bearer $FLAGPOST_SDK_KEY" -H "Content-Type: application/json" \\',
    `  -d '{"context": {"targetingKey": "user-123"}}'`,
  ].join("\n");
  return { js, curl };
}

export const SdkSnippet: FC<{ flag: Flag; origin: string }> = ({ flag, origin }) => {
  const { js, curl } = snippetOf(flag, origin);
  return (
    <div class="card">
      <p class="small muted">
        With OpenFeature's OFREP provider (Node). <code>FLAGPOST_SDK_KEY</code> is an SDK key of the environment to read (
        <code>POST /api/v1/projects/…/environments/…/sdk-keys</code>). The second argument is what your code gets when Flagpost cannot answer.
      </p>
      <figure aria-label={`Reading ${flag.key} with OpenFeature`}>
        <pre>{js}</pre>
      </figure>
      <p class="small muted">The same evaluation with curl:</p>
      <figure aria-label={`Reading ${flag.key} with curl`}>
        <pre>{curl}</pre>
      </figure>
    </div>
  );
};
