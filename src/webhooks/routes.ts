import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../auth/middleware";
export function webhookRoutes() {
  return new OpenAPIHono<AppEnv>();
}
