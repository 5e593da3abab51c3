// The Worker the fault runner starts (`wrangler dev test/faults/worker.ts`): Flagpost exactly as
// src/index.ts builds it, with the fault-injection routes added under /api/v1/admin/_faults. The
// deployed Worker is built from src/index.ts alone.
import { createApp } from "../../src/app";
import type { DeliveryMessage } from "../../src/deliveries/lifecycle";
import worker from "../../src/index";
import { faultRoutes } from "./fault-routes";

// Every Durable Object class the deployed Worker exports (a new one is carried here by itself).
export * from "../../src/index";

const app = createApp([{ path: "/admin/_faults", routes: faultRoutes() }]);

export default { ...worker, fetch: app.fetch } satisfies ExportedHandler<Env, DeliveryMessage>;
