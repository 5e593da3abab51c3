// The model-based test's shrunk counter-examples (test/delivery-machine.test.ts), each replayed as
// found against the code before the delivery machine was settled, with the same invariants checked
// after every step and everything arriving at the end.
import { afterEach, beforeEach, describe, it, vi } from "vitest";
import type { Cmd } from "./delivery-model-commands";
import { runSequence } from "./delivery-model-commands";
import type { World } from "./delivery-model";

beforeEach(() => void vi.useFakeTimers({ toFake: ["Date"] }));
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const MIN = 60_000;
const step = (label: string, run: (w: World) => Promise<void> | void): Cmd => ({
  check: () => true,
  run: async (_m, w) => void (await run(w)),
  toString: () => label,
});
const change = (n: number) => step(`change(${n})`, (w) => w.change(n));
const down = (h: number, kind: "500" | "timeout" = "500") =>
  step(`endpoint(w${h}, ${kind})`, (w) => {
    w.model.modes[h] = { kind };
  });
const tick = (ms: number) => step(`tick(${ms})`, (w) => w.tick(ms));
const disable = (h: number) => step(`disable(w${h})`, (w) => w.setEnabled(h, false));
const enable = (h: number) => step(`enable(w${h})`, (w) => w.setEnabled(h, true));
const redeliver = (h: number, k: number) => step(`redeliver(w${h}, #${k})`, (w) => w.redeliver(h, k));

describe("found by exploring the delivery machine", () => {
  it("an open circuit whose probe used its six attempts still takes the next change (bug 1)", async () => {
    await runSequence([change(1), down(0), tick(13 * 60 * MIN), tick(3 * 60 * MIN), change(1)]);
  });

  it("three deliveries through an outage longer than the schedule: the probe is handed on, then the webhook is disabled on time", async () => {
    await runSequence([down(0), change(3), tick(432_120_000)]);
  });

  it("a webhook failing for WEBHOOK_AUTO_DISABLE_SECONDS is disabled by the clock, with no attempt then", async () => {
    await runSequence([change(1), down(0), tick(432_120_000)]);
  });

  it("disable while a backlog waits behind an open circuit, then enable: nothing is left with nothing to move it (bug 2)", async () => {
    await runSequence([down(0), change(2), tick(1000), change(1), disable(0), tick(61_000), enable(0)]);
    await runSequence([down(0), change(2), change(1), disable(0), tick(6 * MIN), enable(0)]);
  });

  it("disabling by hand fails what waited", async () => {
    await runSequence([change(1), disable(0)]);
  });

  it("a redelivery is covered by the clock, so a lost message after it is sent again", async () => {
    await runSequence([change(1), tick(31 * MIN), redeliver(0, 0)]);
  });

  it("an open circuit disabled while its probe waits: everything left ends, and nothing waits uncovered by a clock", async () => {
    await runSequence([change(3), down(1, "timeout"), tick(61_000), disable(1)]);
  });
});
