// The Redeliver button of a delivery's page, which says what it will do before it is pressed.
import type { FC } from "hono/jsx";
import { CsrfField } from "../shell/layout";
import type { Delivery } from "../shell/resources";
import { deliveryState } from "./delivery-state";

/**
 * What the Redeliver button does, said before it is pressed: a finished delivery gets one more
 * attempt, final; a pending one gets its next attempt now and keeps the rest of its schedule.
 */
export function redeliverWords(delivery: Delivery): { button: string; what: string } {
  if (delivery.status !== "pending") {
    return { button: "Redeliver", what: "One more attempt of the same delivery (same id and body), now. If it fails, it is not retried." };
  }
  return {
    button: "Attempt now",
    what:
      deliveryState(delivery).name === "held"
        ? "Sends this held delivery once, now, although the circuit is open (a person's request goes through it). " +
          "If it succeeds, the circuit starts releasing the held deliveries; if it fails, this one waits behind the circuit again (or ends failed when its retries are used up)."
        : "Makes this delivery's next attempt now. The rest of its schedule is kept: if this attempt fails, the retries still planned follow.",
  };
}

export const RedeliverForm: FC<{ action: string; delivery: Delivery; csrf: string }> = ({ action, delivery, csrf }) => {
  const words = redeliverWords(delivery);
  return (
    <form method="post" action={action} class="inline redeliver">
      <CsrfField token={csrf} />
      <button type="submit" class="primary" aria-describedby="redeliver-what">
        {words.button}
      </button>
      <span class="small muted" id="redeliver-what">
        {words.what}
      </span>
    </form>
  );
};
