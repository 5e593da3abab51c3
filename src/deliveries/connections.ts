// A Worker invocation keeps at most six connections open at once (fetch and queue sends count);
// past that the platform queues the request, and an attempt's time-out would run while it waits.
// The consumer takes a slot for each attempt (and for its queue sends), so an attempt's time-out
// starts with its request, never while it waits its turn.
export const CONNECTIONS_PER_INVOCATION = 6;

export class ConnectionSlots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  /** The most slots ever held at once (for tests). */
  peak = 0;

  constructor(readonly size = CONNECTIONS_PER_INVOCATION) {
    this.free = size;
  }

  /** Runs `fn` holding one slot, waiting for one first; slots are handed out in the order asked. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.peak = Math.max(this.peak, this.size - this.free);
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}
