// A delivery's state named exactly, from what the API says of it and of its webhook (the states of
// deliveries/lifecycle.ts): a pending delivery is waiting for its first attempt, retrying (with the
// next attempt's time), being sent now, or held behind its webhook's open circuit (and why); a
// finished one succeeded or failed.
import type { FC } from "hono/jsx";
import { Pill, Time, type Tone } from "../shell/layout";
import type { Delivery, WebhookHealth } from "../shell/resources";

export type DeliveryStateName = "succeeded" | "failed" | "held" | "retrying" | "waiting" | "sending";

export interface DeliveryState {
  name: DeliveryStateName;
  label: string;
  tone: Tone;
}

const STATES: Record<DeliveryStateName, Omit<DeliveryState, "name">> = {
  succeeded: { label: "Succeeded", tone: "ok" },
  failed: { label: "Failed", tone: "bad" },
  held: { label: "Held: circuit open", tone: "warn" },
  retrying: { label: "Retrying", tone: "warn" },
  waiting: { label: "Waiting", tone: "warn" },
  sending: { label: "Being sent", tone: "warn" },
};

/** The state a delivery is in now: a held delivery has no next attempt time (lifecycle.ts sets it to NULL). */
export function deliveryState(d: Pick<Delivery, "status" | "attempt_count" | "next_attempt_at">, now = Date.now()): DeliveryState {
  const name: DeliveryStateName =
    d.status === "succeeded"
      ? "succeeded"
      : d.status === "failed"
        ? "failed"
        : d.next_attempt_at === null
          ? "held"
          : Date.parse(d.next_attempt_at) <= now
            ? "sending"
            : d.attempt_count === 0
              ? "waiting"
              : "retrying";
  return { name, ...STATES[name] };
}

export const DeliveryStatePill: FC<{ delivery: Pick<Delivery, "status" | "attempt_count" | "next_attempt_at"> }> = ({ delivery }) => {
  const state = deliveryState(delivery);
  return <Pill tone={state.tone}>{state.label}</Pill>;
};

/** What happens next to a delivery, in one sentence: the next attempt and when, or why it waits. */
export const NextStep: FC<{ delivery: Delivery; health?: WebhookHealth }> = ({ delivery, health }) => {
  const state = deliveryState(delivery);
  switch (state.name) {
    case "retrying":
      return (
        <>
          Attempt {delivery.attempt_count + 1} at <Time iso={delivery.next_attempt_at} />
        </>
      );
    case "waiting":
      return (
        <>
          First attempt at <Time iso={delivery.next_attempt_at} />
        </>
      );
    case "sending":
      return <>Its attempt is due now: it is being sent.</>;
    case "held":
      return (
        <>
          Held behind the webhook's open circuit
          {health?.consecutive_failures ? ` (its receiver failed ${health.consecutive_failures} attempts in a row` : " (its receiver kept failing"}
          {health?.last_failure_at ? (
            <>
              , last at <Time iso={health.last_failure_at} />)
            </>
          ) : (
            ")"
          )}
          . No attempt is made while it is held: one probe delivery at a time checks the receiver, and when an attempt succeeds the held deliveries are
          released, oldest first. Waiting is not an attempt.
        </>
      );
    default:
      return <>None: this delivery is finished.</>;
  }
};
