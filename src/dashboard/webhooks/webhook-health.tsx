// Watching a webhook: its health (healthy, failing, circuit open, disabled and why) in words, its
// figures over the last hour and the last day, and the form that recovers every failed delivery
// since a moment in one action.
import type { FC } from "hono/jsx";
import { CsrfField, Pill, Time, type Tone } from "../shell/layout";
import type { WebhookHealth as Health, WebhookStats } from "../shell/resources";

const HEALTH: Record<Health["state"], { tone: Tone; label: string }> = {
  healthy: { tone: "ok", label: "Healthy" },
  failing: { tone: "warn", label: "Failing" },
  circuit_open: { tone: "bad", label: "Circuit open" },
  disabled: { tone: "off", label: "Disabled" },
};

/** Why a webhook is disabled, in words: Flagpost's two reasons, or a person's choice. */
export function disabledWhy(health: Health): string {
  if (health.disabled_reason === "gone") return "the receiver answered 410 Gone, which says it will never take deliveries again";
  if (health.disabled_reason === "failing") return "it kept failing with no success for five days";
  return "someone disabled it";
}

/** The health state in colour and words; a disabled webhook says why. */
export const HealthPill: FC<{ health: Health }> = ({ health }) => {
  const { tone, label } = HEALTH[health.state];
  const detail = health.state === "failing" || health.state === "circuit_open" ? ` · ${health.consecutive_failures} failed in a row` : "";
  return (
    <Pill tone={tone}>
      {label}
      {detail}
    </Pill>
  );
};

/** What the state means for deliveries, said once on the webhook's page. */
export const HealthStory: FC<{ health: Health }> = ({ health }) => {
  switch (health.state) {
    case "healthy":
      return <>Deliveries are sent as changes happen.</>;
    case "failing":
      return <>Recent attempts failed; each is retried on its schedule. After 5 failures in a row the circuit opens.</>;
    case "circuit_open":
      return (
        <>
          Deliveries wait instead of being attempted; one probe at a time follows the retry schedule. When a probe succeeds, what waited is sent in the order of
          the changes, oldest first. Nothing is dropped.
        </>
      );
    case "disabled":
      return (
        <>
          Disabled because {disabledWhy(health)}
          {health.disabled_at ? (
            <>
              {" "}
              (<Time iso={health.disabled_at} />)
            </>
          ) : null}
          . It gets no new deliveries until it is enabled again.
        </>
      );
  }
};

const percent = (rate: number) => `${Math.round(rate * 1000) / 10}%`;
/** Every figure is a count of attempts, its share of the window's attempts beside it. */
const countAndShare = (n: number, attempts: number) => (attempts ? `${n} (${percent(n / attempts)})` : String(n));
const ms = (value: number | null) => (value === null ? "—" : `${value} ms`);

/** The figures of each window side by side, counted in attempts as the API counts them. */
export const StatsPanel: FC<{ windows: { label: string; stats: WebhookStats }[] }> = ({ windows }) => (
  <section aria-labelledby="stats-title" id="stats">
    <h2 id="stats-title">Attempts</h2>
    <div class="grid2">
      {windows.map(({ label, stats }) => (
        <div class="card tight" data-window={stats.window}>
          <h3>{label}</h3>
          <dl class="stats">
            <div>
              <dt>Attempts</dt>
              <dd>{stats.attempts}</dd>
            </div>
            <div>
              <dt>Succeeded</dt>
              <dd>{countAndShare(stats.succeeded, stats.attempts)}</dd>
            </div>
            <div>
              <dt>Failed</dt>
              <dd>{countAndShare(stats.failed, stats.attempts)}</dd>
            </div>
            <div>
              <dt>Latency p50 / p95</dt>
              <dd>
                {ms(stats.latency_ms.p50)} / {ms(stats.latency_ms.p95)}
              </dd>
            </div>
          </dl>
        </div>
      ))}
    </div>
  </section>
);

/** A webhook's health on its page: the last hour's and day's figures, and the form that recovers failed deliveries. */
export const HealthSection: FC<{ hour: WebhookStats; day: WebhookStats; recover: string; csrf: string }> = ({ hour, day, recover, csrf }) => (
  <section id="health" aria-labelledby="health-title" data-refresh>
    <h2 id="health-title" class="visually-hidden">
      Health
    </h2>
    <StatsPanel
      windows={[
        { label: "Last hour", stats: hour },
        { label: "Last 24 hours", stats: day },
      ]}
    />
    <RecoverForm action={recover} csrf={csrf} />
  </section>
);

/** The windows the recover form offers, in seconds back from now. */
export const RECOVER_WINDOWS = [
  { value: "1h", label: "the last hour", seconds: 3_600 },
  { value: "24h", label: "the last 24 hours", seconds: 86_400 },
  { value: "7d", label: "the last 7 days", seconds: 604_800 },
] as const;

/** The moment the recover form names: a window back from `now`, or a time typed in UTC. */
export function recoverSince(choice: string, custom: string, now: number): string | null {
  const window = RECOVER_WINDOWS.find((w) => w.value === choice);
  if (window) return new Date(now - window.seconds * 1000).toISOString();
  if (choice !== "at" || !/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/.test(custom)) return null;
  const at = Date.parse(`${custom}Z`);
  return Number.isNaN(at) ? null : new Date(at).toISOString();
}

export const RecoverForm: FC<{ action: string; csrf: string; error?: string }> = ({ action, csrf, error }) => (
  <form method="post" action={action} class="card tight recover" aria-labelledby="recover-title">
    <h3 id="recover-title">Recover failed deliveries</h3>
    <p class="small muted">
      One more attempt of every failed delivery of this webhook created since the moment you choose, oldest first. Pending deliveries keep their own schedule.
    </p>
    <CsrfField token={csrf} />
    <fieldset>
      <legend>Failed since</legend>
      <div class="choices">
        {RECOVER_WINDOWS.map((w) => (
          <label>
            <input type="radio" name="since" value={w.value} checked={w.value === "24h"} /> {w.label}
          </label>
        ))}
        <label>
          <input type="radio" name="since" value="at" /> a time (UTC):
        </label>
        <input type="datetime-local" name="since_at" aria-label="Failed since, a time in UTC" step={1} class="since-at" />
      </div>
      {error ? (
        <p class="error" id="recover-error">
          {error}
        </p>
      ) : null}
    </fieldset>
    <button type="submit">Recover failed deliveries</button>
  </form>
);
