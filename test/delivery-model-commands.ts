// The commands of the delivery machine's model-based test (test/delivery-machine.test.ts), each one
// step a person, a receiver, the queue or time can take, and the run of one sequence of them.
import fc from "fast-check";
import { HOOKS, World, type Mode, type Model } from "./delivery-model";

export type Cmd = fc.AsyncCommand<Model, World>;

const START = Date.parse("2040-01-01T00:00:00Z");

function command(label: string, run: (w: World) => Promise<void> | void): Cmd {
  return { check: () => true, run: async (_m, w) => void (await run(w)), toString: () => label };
}

const hook = fc.integer({ min: 0, max: HOOKS - 1 });
const mode: fc.Arbitrary<Mode> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Mode>({ kind: "ok" }) },
  { weight: 5, arbitrary: fc.constant<Mode>({ kind: "500" }) },
  { weight: 1, arbitrary: fc.constant<Mode>({ kind: "timeout" }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 120, 7200).map((retryAfter): Mode => ({ kind: "429", retryAfter })) },
  { weight: 1, arbitrary: fc.constant<Mode>({ kind: "410" }) },
);
const MINUTE = 60_000;
/** Mostly a retry step or less; now and then half a day, or past the auto-disable deadline. */
const tickMs = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(1000, 11_000, 61_000, 6 * MINUTE) },
  { weight: 2, arbitrary: fc.constantFrom(31 * MINUTE, 121 * MINUTE, 13 * 60 * MINUTE) },
  { weight: 1, arbitrary: fc.constant(5 * 24 * 60 * MINUTE + 2 * MINUTE) },
);

const change = fc.integer({ min: 1, max: 3 }).map((n) => command(`change(${n})`, (w) => w.change(n)));
const endpoint = fc.tuple(hook, mode).map(([h, m]) =>
  command(`endpoint(w${h}, ${m.kind === "429" ? `429 retry-after ${m.retryAfter}` : m.kind})`, (w) => {
    w.model.modes[h] = m;
  }),
);
const tick = tickMs.map((ms) => command(`tick(${ms / 1000} s)`, (w) => w.tick(ms)));

/** Every kind of step; changes, endpoints and time twice over, so that circuits open and backlogs form. */
export const COMMANDS: fc.Arbitrary<Cmd>[] = [
  change,
  change,
  endpoint,
  endpoint,
  tick,
  tick,
  fc.integer({ min: 1, max: 8 }).map((n) => command(`deliver(${n})`, (w) => w.deliver(n))),
  fc.nat(20).map((i) => command(`lose(${i})`, (w) => w.lose(i))),
  fc.nat(20).map((i) => command(`duplicate(${i})`, (w) => w.duplicate(i))),
  hook.map((h) => command(`test(w${h})`, (w) => w.test(h))),
  fc.tuple(hook, fc.nat(10)).map(([h, k]) => command(`redeliver(w${h}, #${k})`, (w) => w.redeliver(h, k))),
  hook.map((h) => command(`recover(w${h})`, (w) => w.recover(h))),
  hook.map((h) => command(`disable(w${h})`, (w) => w.setEnabled(h, false))),
  hook.map((h) => command(`enable(w${h})`, (w) => w.setEnabled(h, true))),
  fc.constant(command("retention", (w) => w.retention())),
];

/** Runs one sequence of commands in a fresh world, then lets everything arrive. */
export async function runSequence(cmds: Iterable<Cmd>, { settle = true } = {}): Promise<void> {
  const world = await World.create(START);
  try {
    await fc.asyncModelRun(() => ({ model: world.model, real: world }), cmds);
    if (settle) await world.settle();
  } finally {
    world.close();
  }
}
