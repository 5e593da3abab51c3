// Holds an answer to the OpenAPI document the Worker serves: the status must be one the document
// lists for that operation, and the body must match the documented schema, with no field the
// document does not describe and none missing that it promises. test/helpers.ts (call) and
// test/serve-helpers.ts (root) check every answer the suite gets, so the document cannot drift
// from what the API does; test/openapi-client.test.ts drives the API with a generated client.
import { exports } from "cloudflare:workers";
import { z } from "zod";

type Schema = Record<string, unknown>;
type Operation = { operationId: string; servers?: { url: string }[]; responses: Record<string, { content?: Record<string, { schema: Schema }> }> };
type Document = { servers: { url: string }[]; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };
interface Route {
  method: string;
  pattern: RegExp;
  op: Operation;
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
let routes: Promise<{ routes: Route[]; defs: Record<string, Schema> }> | undefined;
const validators = new Map<string, z.ZodType>();

/**
 * zod reads local `$defs` references only, and takes an object's unlisted properties as allowed; the
 * document's schemas get both adjusted so that an undocumented field fails the check.
 */
export function forZod(schema: unknown): Schema {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', '"#/$defs/'), (_key, value) =>
    value && typeof value === "object" && !Array.isArray(value) && value.type === "object" && value.properties && !("additionalProperties" in value)
      ? { ...value, additionalProperties: false }
      : value,
  );
}

async function load() {
  const doc = (await (await exports.default.fetch("http://flagpost.test/api/v1/openapi.json")).json()) as Document;
  const list: Route[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      const server = (op.servers ?? doc.servers)[0].url.replace(/\/$/, "");
      const pattern = new RegExp(`^${(server + path).replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{\w+\}/g, "[^/]+")}$`);
      list.push({ method: method.toUpperCase(), pattern, op });
    }
  }
  return { routes: list, defs: forZod(doc.components.schemas) as Record<string, Schema> };
}

/** The operation a request addresses, or undefined when it is none of the document's (a wrong path on purpose, the dashboard). */
export async function operationOf(method: string, url: string): Promise<Operation | undefined> {
  routes ??= load();
  const pathname = new URL(url).pathname;
  return (await routes).routes.find((r) => r.method === method.toUpperCase() && r.pattern.test(pathname))?.op;
}

/** Throws when the answer is not one the document describes; returns the operation it answered, if any. */
export async function checkAgainstDocument(method: string, url: string, response: Response): Promise<Operation | undefined> {
  const op = await operationOf(method, url);
  if (!op) return undefined;
  const documented = op.responses[String(response.status)];
  if (!documented) throw new Error(`${op.operationId} answered ${response.status}, which the OpenAPI document does not list for it`);
  const schema = documented.content?.["application/json"]?.schema;
  const text = await response.clone().text();
  if (!schema) {
    if (text !== "") throw new Error(`${op.operationId} answered ${response.status} with a body, where the OpenAPI document describes none`);
    return op;
  }
  if (!/^application\/json/.test(response.headers.get("content-type") ?? ""))
    throw new Error(`${op.operationId} answered ${response.status} without JSON, where the OpenAPI document describes JSON`);
  const key = `${op.operationId} ${response.status}`;
  let validator = validators.get(key);
  if (!validator) {
    validator = z.fromJSONSchema({ ...forZod(schema), $defs: (await routes!).defs });
    validators.set(key, validator);
  }
  const result = validator.safeParse(JSON.parse(text));
  if (!result.success) throw new Error(`${key}: the body does not match the OpenAPI document: ${JSON.stringify(result.error.issues)}\n${text.slice(0, 2000)}`);
  return op;
}
