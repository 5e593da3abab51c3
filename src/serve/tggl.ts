// Tggl's SDKs and proxy, their base URL being <root>/tggl (CONTRACT.md v1.1, "Tggl's SDKs"): the
// compiled configuration in tggl-core's shapes, server-side evaluation, and a report sink. Server SDK
// keys only, in `x-tggl-api-key`: these routes hand out targeting rules.
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { CompiledConfig } from "../flags/compile";
import { EvaluationBudget, evaluateFlag } from "../flags/evaluate";
import { renderServeError, tooLarge } from "./errors";
import { asContext, configFor, ifNoneMatch, jsonBody, MAX_EVALUATION_BODY_BYTES, requireSdkKey, ServeError, type ServeEnv } from "./request";

const MAX_CONTEXTS = 1000;
/** The config's JSON text, rendered once per compiled configuration. */
const rendered = new WeakMap<CompiledConfig, string>();

export function tgglRoutes() {
  const app = new Hono<ServeEnv>();
  app.use("*", bodyLimit({ maxSize: MAX_EVALUATION_BODY_BYTES, onError: (c) => renderServeError(c, tooLarge(), undefined, "tggl") }));

  app.get("/config", async (c) => {
    try {
      const config = await configFor(c, await requireSdkKey(c, "x-tggl-api-key", ["server"]));
      const etag = `"${config.revision}-${config.environmentId.slice(0, 8)}"`;
      c.header("ETag", etag);
      c.header("X-Flagpost-Revision", String(config.revision));
      if (ifNoneMatch(c.req.header("if-none-match"), etag)) return c.body(null, 304);
      let text = rendered.get(config);
      if (text === undefined) {
        text = JSON.stringify(config.flags.map((f) => f.tggl));
        rendered.set(config, text);
      }
      c.header("Content-Type", "application/json");
      return c.body(text, 200);
    } catch (err) {
      return renderServeError(c, err, undefined, "tggl");
    }
  });

  app.post("/flags", async (c) => {
    try {
      const principal = await requireSdkKey(c, "x-tggl-api-key", ["server"]);
      const body = await jsonBody(c);
      if (Array.isArray(body) && body.length > MAX_CONTEXTS) throw new ServeError(400, "INVALID_CONTEXT", `at most ${MAX_CONTEXTS} contexts per request`);
      const contexts = Array.isArray(body) ? body.map((b, i) => asContext(b, `context ${i}`)) : [asContext(body, "the body")];
      const config = await configFor(c, principal);
      c.header("X-Flagpost-Revision", String(config.revision));
      const budget = new EvaluationBudget();
      const answers = contexts.map((context) => {
        budget.nextContext();
        return activeValues(config, context, budget);
      });
      return c.json(Array.isArray(body) ? answers : answers[0], 200);
    } catch (err) {
      return renderServeError(c, err, undefined, "tggl");
    }
  });

  app.post("/report", async (c) => {
    try {
      await requireSdkKey(c, "x-tggl-api-key", ["server"]);
      await c.req.arrayBuffer(); // read (within the limit) and let go: Flagpost keeps no usage reports
      return c.body(null, 204);
    } catch (err) {
      return renderServeError(c, err, undefined, "tggl");
    }
  });
  return app;
}

/** `{<slug>: value}` for the flags whose served variation is active, as Tggl's SDKs expect. */
function activeValues(config: CompiledConfig, context: Record<string, unknown>, budget: EvaluationBudget): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const flag of config.flags) {
    const { variation } = evaluateFlag(flag, context, budget);
    if (variation.active) values[flag.key] = variation.value;
  }
  return values;
}
