// The Worker: the API (fetch), the delivery consumer (queue), retention (scheduled), and the per-project writer.
import { app } from "./app";
import { handleDeliveryBatch } from "./deliveries/consumer";
import type { DeliveryMessage } from "./deliveries/lifecycle";
import { runRetention } from "./deliveries/retention";
export { ProjectDO } from "./projects/project-do";
export { StreamsDO } from "./serve/streams-do";

export default {
  fetch: app.fetch,
  async queue(batch, env, _ctx) {
    await handleDeliveryBatch(batch, env);
  },
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(runRetention(env));
  },
} satisfies ExportedHandler<Env, DeliveryMessage>;
