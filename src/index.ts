// The Worker: the API (fetch), the delivery consumer (queue), and the per-project writer.
import { app } from "./app";
import type { DeliveryMessage } from "./webhooks/outbox";
import { handleDeliveryBatch } from "./webhooks/delivery";
export { ProjectDO } from "./projects/project-do";

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    await handleDeliveryBatch(batch, env);
  },
} satisfies ExportedHandler<Env, DeliveryMessage>;
