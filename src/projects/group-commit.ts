// Group commit: the order in which a project's writer stages, commits and answers its changes.
//
// - Requests are staged one at a time, in arrival order, against the in-memory state (which holds
//   every change staged before, committed or not). Staging answers a refusal (404, a stale If-Match)
//   or a change with its statements, and applies the change to the state.
// - One batch is in flight at a time. Whatever was staged meanwhile waits, and goes as the next
//   batch the moment the last one answers: many changes share one D1 round trip.
// - Requests that have arrived together are staged together before their batch leaves.
// - A busy writer (a request arrived while a batch was in flight, within the last BUSY_MS) sends
//   its next batch on the event loop's next turn rather than at once, so that requests already on
//   their way join it instead of waiting a whole round trip for the one after: fewer, larger
//   batches. An idle writer sends at once: the turn costs about a millisecond.
// - Every request is answered only when everything staged before it is durable: a change with its
//   own batch, a refusal or a change that changed nothing with the batch in flight when it was
//   staged (its answer was read from that batch's state).
// - A failed batch fails exactly its changes; none is announced. The state is dropped, and what was
//   staged on top of the failed changes (the next group, refusals read from them) is staged again
//   from what D1 really holds, still in arrival order.
// - An exclusive request (a new environment) runs alone: after every earlier batch, before any later
//   request is staged.
import type { Result } from "../kernel/errors";

/** One staged request: its answer once durable, and its part of a batch (null if it writes nothing). */
export interface Staged<C> {
  answer: Result<unknown>;
  change: C | null;
}

export interface GroupHooks<R, C> {
  /** Plans a request against the in-memory state (loading it if dropped) and applies its change. */
  stage(request: R): Promise<Staged<C>>;
  /** Runs an exclusive request, with nothing staged or in flight. */
  runAlone(request: R): Promise<Result<unknown>>;
  /** Commits a group in one batch; resolves with what every answer carries (the bookmark). */
  commit(changes: C[]): Promise<Record<string, unknown>>;
  /** Drops the in-memory state: the next stage reads the project from D1. */
  forget(): void;
  /** What a change of a failed batch answers, or null to pass the error on (a 500). */
  failed(err: unknown): Result<unknown> | null;
}

interface Pending<R> {
  request: R;
  exclusive: boolean;
  resolve(answer: Result<unknown>): void;
  reject(err: unknown): void;
}

interface Entry<R, C> extends Staged<C> {
  pending: Pending<R>;
}

/** Changes per batch at most: a batch's statements stay well inside D1's limits (one batch, ≤ 1,000 statements). */
export const MAX_GROUP = 50;

/** How long after a request arrived during a batch the writer counts as busy. */
export const BUSY_MS = 50;

export class GroupCommit<R, C> {
  private arrivals: Pending<R>[] = [];
  private forming: Entry<R, C>[] = [];
  /** Requests staged on a batch that failed, oldest first: they are staged again before anything newer. */
  private restage: Pending<R>[] | null = null;
  private inflight: Promise<void> | null = null;
  /** Set while a batch waits for the next turn. */
  private turn: ReturnType<typeof setTimeout> | null = null;
  /** Until when the writer counts as busy. */
  private busyUntil = 0;
  private pumping = false;

  constructor(private readonly hooks: GroupHooks<R, C>) {}

  /** Queues a request; answers when it is durable (or refused). */
  submit(request: R, exclusive = false): Promise<Result<unknown>> {
    return new Promise((resolve, reject) => {
      this.arrivals.push({ request, exclusive, resolve, reject });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        if (this.restage) {
          this.arrivals = [...this.restage, ...this.arrivals];
          this.restage = null;
        }
        const next = this.arrivals[0];
        if (!next) break;
        if (next.exclusive) {
          if (this.inflight || this.forming.length) {
            this.flushNow();
            await this.inflight;
            continue;
          }
          this.arrivals.shift();
          await this.runExclusive(next);
          continue;
        }
        this.arrivals.shift();
        let staged: Staged<C>;
        try {
          staged = await this.hooks.stage(next.request);
        } catch (err) {
          next.reject(err);
          continue;
        }
        // The batch in flight failed while this was staged on it: stage it again after the others.
        const failedMeanwhile = this.restage as Pending<R>[] | null;
        if (failedMeanwhile) failedMeanwhile.push(next);
        else this.forming.push({ ...staged, pending: next });
        if (!this.arrivals.length || this.arrivals[0].exclusive || this.forming.length >= MAX_GROUP) this.flush();
      }
    } finally {
      this.pumping = false;
    }
  }

  private async runExclusive(pending: Pending<R>): Promise<void> {
    try {
      pending.resolve(await this.hooks.runAlone(pending.request));
    } catch (err) {
      this.hooks.forget();
      pending.reject(err);
    }
  }

  /** Sends what is staged (busy: on the next turn), unless a batch is in flight (its answer sends the next one). */
  private flush(): void {
    if (this.inflight && this.forming.length) this.busyUntil = Date.now() + BUSY_MS;
    if (this.turn || this.inflight || this.restage || !this.forming.length) return;
    if (Date.now() >= this.busyUntil) {
      this.flushNow();
      return;
    }
    this.turn = setTimeout(() => {
      this.turn = null;
      this.flushNow();
    }, 0);
  }

  /** Sends what is staged now, unless a batch is in flight. */
  private flushNow(): void {
    while (!this.inflight && !this.restage && this.forming.length) {
      const group = this.takeGroup();
      const changes = group.flatMap((e) => (e.change ? [e.change] : []));
      if (!changes.length) {
        for (const e of group) e.pending.resolve(e.answer);
        continue;
      }
      this.inflight = this.hooks.commit(changes).then(
        (extra) => this.answer(group, extra),
        (err) => this.fail(group, err),
      );
      void this.inflight.finally(() => {
        this.inflight = null;
        this.flush();
        void this.pump();
      });
    }
  }

  private takeGroup(): Entry<R, C>[] {
    let changes = 0;
    let i = 0;
    for (; i < this.forming.length; i++) {
      if (this.forming[i].change && ++changes > MAX_GROUP) break;
    }
    return this.forming.splice(0, i);
  }

  private answer(group: Entry<R, C>[], extra: Record<string, unknown>): void {
    for (const e of group) e.pending.resolve(e.answer.ok ? { ...e.answer, ...extra } : e.answer);
  }

  private fail(group: Entry<R, C>[], err: unknown): void {
    this.hooks.forget();
    const told = this.hooks.failed(err);
    // What was read from the failed changes is read again; the changes themselves fail.
    const again = [...group.filter((e) => !e.change), ...this.forming].map((e) => e.pending);
    this.forming = [];
    this.restage = [...(this.restage ?? []), ...again];
    for (const e of group) {
      if (!e.change) continue;
      if (told) e.pending.resolve(told);
      else e.pending.reject(err);
    }
  }
}
