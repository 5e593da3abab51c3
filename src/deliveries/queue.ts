// Queue messages out: one message per attempt, in batches of up to 100.
import type { DeliveryMessage } from "./lifecycle";

type SendBatch = (queue: Queue<DeliveryMessage>, messages: MessageSendRequest<DeliveryMessage>[]) => Promise<void>;

const direct: SendBatch = async (queue, messages) => {
  await queue.sendBatch(messages);
};

let send: SendBatch = direct;

/**
 * Test-only: the fault routes (src/faults.ts, reachable only with FAULT_INJECTION) put a sender
 * that fails or loses sends in front of the queue. Production sends go straight to the queue.
 */
export function replaceQueueSender(sender: SendBatch | null): void {
  send = sender ?? direct;
}

/** Sends the messages; answers the delivery ids whose message could not be sent. */
export async function enqueueAttempts(queue: Queue<DeliveryMessage>, messages: DeliveryMessage[]): Promise<string[]> {
  const failed: string[] = [];
  for (let i = 0; i < messages.length; i += 100) {
    const chunk = messages.slice(i, i + 100);
    try {
      await send(
        queue,
        chunk.map((body) => ({ body, contentType: "json" as const })),
      );
    } catch (err) {
      console.error("queue send failed; the retry clock will re-send", String(err));
      failed.push(...chunk.map((m) => m.delivery_id));
    }
  }
  return failed;
}
