// The delivery machine, explored: random sequences of changes, endpoint behaviours, queue
// deliveries, lost and repeated messages, time passing (the alarm ringing), test calls, redeliveries,
// recoveries, disabling and enabling, and retention, against the real module on a real D1, with the
// contract's invariants checked after every action (test/delivery-model.ts) and, at the end of every
// sequence, everything arriving once the endpoints answer and time passes.
import fc from "fast-check";
import { afterEach, beforeEach, describe, it, vi } from "vitest";
import { COMMANDS, runSequence } from "./delivery-model-commands";

beforeEach(() => void vi.useFakeTimers({ toFake: ["Date"] }));
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("the delivery machine, explored", () => {
  it("keeps every invariant after every step, and everything arrives in the end", async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(COMMANDS, { maxCommands: 30, size: "max" }), (cmds) => runSequence(cmds)),
      { numRuns: 60, endOnFailure: false },
    );
  }, 240_000);
});
