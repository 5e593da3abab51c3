// Figure 7: changes/s on ONE project, offered at rising rates until it saturates. Requests are sent
// on an even schedule (open loop: a slow answer does not lower the offered load), round-robin over
// `flags` flags of the project, each request flipping its flag, so every one is a real change with
// one delivery to the receiver (group "s6"). A flag's next flip waits for its last answer (two flips
// of one flag in flight could arrive in either order and change nothing); latency is counted from
// the moment the schedule said to send, so that wait counts too. A step saturates when it completes
// fewer than 90 % of what it offered; the ceiling is the most changes/s any step completed.
import { summarize } from "./lib/stats.mjs";

const now = () => performance.now();

/** One step; `enabled` is each flag's state, kept across steps so that every request changes its flag. */
async function step(subject, { rate, seconds, flags, enabled }) {
  const total = Math.round(rate * seconds);
  const lastOf = new Array(flags).fill(Promise.resolve());
  const latencies = [];
  let ok = 0;
  let errors = 0;
  const start = now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const f = i % flags;
    enabled[f] = !enabled[f];
    const value = enabled[f];
    lastOf[f] = lastOf[f].then(() =>
      subject.saturationChange(f, value).then(
        () => {
          ok++;
          latencies.push(now() - due);
        },
        () => errors++,
      ),
    );
  }
  await Promise.all(lastOf);
  const elapsed = (now() - start) / 1000;
  return { offered: rate, completed: Math.round(ok / elapsed), ok, errors, latency: summarize(latencies) };
}

/** Offers each rate of `rates` for `seconds`, stopping after the first two saturated steps. */
export async function saturation(subject, receiver, { rates, seconds, flags }) {
  const steps = [];
  const enabled = new Array(flags).fill(false);
  let saturated = 0;
  for (const rate of rates) {
    const s = await step(subject, { rate, seconds, flags, enabled });
    steps.push(s);
    if (s.completed < 0.9 * rate) saturated++;
    if (saturated >= 2) break;
  }
  const expected = steps.reduce((a, s) => a + s.ok, 0);
  // Every change's delivery arrives before the next figure starts (and the loss check counts them).
  await receiver.waitFor("s6", expected, { timeoutMs: 60_000 });
  return { steps, ceiling: Math.max(...steps.map((s) => s.completed)), expected };
}
