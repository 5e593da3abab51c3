// OFREP at the server's root (CONTRACT.md v1.1, "OpenFeature: OFREP"): single and bulk evaluation
// for server and client SDK keys, CORS on every answer, a context-aware ETag on bulk answers.
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { KEY_PATTERN } from "../kernel/schemas";
import type { CompiledConfig, CompiledFlag } from "../flags/compile";
import { EvaluationBudget, evaluateFlag, ofrepContext } from "../flags/evaluate";
import { asContext, configFor, hashText, ifNoneMatch, jsonBody, MAX_EVALUATION_BODY_BYTES, requireSdkKey, ServeError, type ServeEnv } from "./request";
import { renderServeError, tooLarge } from "./errors";
import { eventStreamsFor, openStream } from "./stream";

const CORS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "POST, OPTIONS",
  "Access-Control-Allow-Headers": "Authorization, X-API-Key, Content-Type, If-None-Match",
  "Access-Control-Expose-Headers": "ETag",
};

export function ofrepRoutes() {
  const app = new Hono<ServeEnv>();
  // Every answer (errors and 304 included) carries CORS: a browser must be able to read refusals too.
  app.use("*", async (c, next) => {
    await next();
    for (const [k, v] of Object.entries(CORS)) c.res.headers.set(k, v);
  });
  app.options("*", (c) => c.body(null, 204));
  app.use("*", bodyLimit({ maxSize: MAX_EVALUATION_BODY_BYTES, onError: (c) => renderServeError(c, tooLarge()) }));

  app.post("/evaluate/flags/:flagKey", async (c) => {
    const key = c.req.param("flagKey");
    try {
      const principal = await requireSdkKey(c, "authorization", ["server", "client"]);
      if (!KEY_PATTERN.test(key)) throw new ServeError(400, "PARSE_ERROR", "flag keys match ^[a-z0-9][a-z0-9_-]{0,63}$");
      const context = readContext(await jsonBody(c));
      const config = await configFor(c, principal);
      const flag = config.byKey.get(key);
      if (!flag) throw new ServeError(404, "FLAG_NOT_FOUND", `no flag "${key}" is served in this environment`);
      c.header("X-Flagpost-Revision", String(config.revision));
      return c.json(evaluation(flag, ofrepContext(context), config.revision), 200);
    } catch (err) {
      return renderServeError(c, err, key.length <= 200 ? key : key.slice(0, 200));
    }
  });

  // An empty flag key is a malformed request, not an unknown route.
  app.post("/evaluate/flags/", (c) => renderServeError(c, new ServeError(400, "PARSE_ERROR", "the flag key is missing"), ""));

  app.get("/stream", async (c) => {
    try {
      return await openStream(c);
    } catch (err) {
      return renderServeError(c, err);
    }
  });

  app.post("/evaluate/flags", async (c) => {
    try {
      const principal = await requireSdkKey(c, "authorization", ["server", "client"]);
      const context = readContext(await jsonBody(c));
      const config = await configFor(c, principal, "flagConfigEtag"); // the revision a stream event named: min_revision
      const etag = `"${config.revision}-${config.environmentId.slice(0, 8)}-${hashText(JSON.stringify(context))}"`;
      c.header("ETag", etag);
      c.header("X-Flagpost-Revision", String(config.revision));
      if (ifNoneMatch(c.req.header("if-none-match"), etag)) return c.body(null, 304);
      return c.json({ ...bulk(config, ofrepContext(context)), ...(await eventStreamsFor(c.env, principal)) }, 200);
    } catch (err) {
      return renderServeError(c, err);
    }
  });
  return app;
}

function readContext(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== "object" || Array.isArray(body))
    throw new ServeError(400, "PARSE_ERROR", 'the body must be a JSON object: {"context": {…}}');
  return asContext((body as { context?: unknown }).context);
}

function evaluation(flag: CompiledFlag, context: Record<string, unknown>, revision: number, budget = new EvaluationBudget()) {
  const { variation, reason } = evaluateFlag(flag, context, budget);
  return {
    key: flag.key,
    reason,
    variant: variation.name,
    value: variation.value,
    metadata: { revision, active: variation.active, variation_id: variation.id, flag_version: flag.version, state_version: flag.stateVersion },
  };
}

function bulk(config: CompiledConfig, context: Record<string, unknown>) {
  const budget = new EvaluationBudget();
  return { flags: config.flags.map((f) => evaluation(f, context, config.revision, budget)), metadata: { revision: config.revision } };
}
