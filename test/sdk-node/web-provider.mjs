// The OpenFeature web SDK with the OFREP web provider (changeDetection 'sse', no polling), in Node:
// the provider expects a browser's EventSource, which the `eventsource` package supplies. Used by
// test/sdk-node/run.mjs (a toggle reaches the app through the stream; with streams off it does not)
// and by the bench (how long a change takes to be read by the app).
import { OFREPWebProvider } from "@openfeature/ofrep-web-provider";
import { OpenFeature, ProviderEvents } from "@openfeature/web-sdk";
import { EventSource } from "eventsource";

let openWaiters = [];
/** The `eventsource` package's EventSource, telling `streamOpened` when a stream answers. */
class TrackedEventSource extends EventSource {
  constructor(url, init) {
    super(url, init);
    this.addEventListener("open", () => {
      for (const w of openWaiters) w(true);
      openWaiters = [];
    });
  }
}
globalThis.EventSource = TrackedEventSource;

let domains = 0;

/** Resolves true when the next event stream opens (the server has registered it), false after `timeoutMs`. */
export function streamOpened(timeoutMs) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    openWaiters.push((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

/** A client of its own OpenFeature domain, ready; `nextChange()` resolves at the next PROVIDER_CONFIGURATION_CHANGED. */
export async function openWebClient(base, sdkKey, context = { targetingKey: "user-1" }) {
  const domain = `flagpost-${++domains}`;
  const opened = streamOpened(5_000);
  const provider = new OFREPWebProvider({
    baseUrl: base,
    headers: [["Authorization", `Bearer ${sdkKey}`]],
    changeDetection: "sse",
    pollInterval: 0, // no polling: only the stream can tell the provider of a change
  });
  await OpenFeature.setProviderAndWait(domain, provider, context);
  const client = OpenFeature.getClient(domain);
  /** Whether the provider opened an event stream (false: the server advertised none). */
  const streaming = await Promise.race([opened, new Promise((r) => setTimeout(() => r(false), 2_000))]);
  let waiters = [];
  client.addHandler(ProviderEvents.ConfigurationChanged, (details) => {
    const now = performance.now();
    for (const w of waiters) w({ at: now, details });
    waiters = [];
  });
  return {
    client,
    provider,
    streaming,
    /** The next configuration change, or null after `timeoutMs`. */
    nextChange(timeoutMs) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== done);
          resolve(null);
        }, timeoutMs);
        const done = (change) => {
          clearTimeout(timer);
          resolve(change);
        };
        waiters.push(done);
      });
    },
    async close() {
      await OpenFeature.clearProvider?.(domain).catch?.(() => {});
      await provider.onClose?.();
    },
  };
}
