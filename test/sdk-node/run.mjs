// `npm run test:sdk`: the OpenFeature snippet of docs/using-flags.md, copied out as it stands, run in
// Node against a real local run of Flagpost (wrangler dev, as `npm start` serves it); its answer must
// be Flagpost's own OFREP answer over HTTP and what tggl-core computes from /tggl/config for the same
// context. The in-workerd tests (test/serve-agreement.test.ts) cover every operator; this proves the
// documented snippet and the real network path (Node's fetch, HTTP, CORS-free server use).
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { evalFlag } from "tggl-core";
import { createApiKey, flagpostClient } from "../../bench/lib/flagpost-api.mjs";
import { freePort, killAllStarted, ROOT, startWorker } from "../../bench/lib/local-runtime.mjs";
import { openWebClient } from "./web-provider.mjs";

const run = promisify(execFile);
const WATCHDOG_MS = 4 * 60_000;

/** The `// flags.mjs` code block of docs/using-flags.md, with the local address swapped for this run's. */
function readmeSnippet(base) {
  const readme = fs.readFileSync(path.join(ROOT, "docs/using-flags.md"), "utf8");
  const block = /```js\n(\/\/ flags\.mjs[\s\S]*?)```/.exec(readme);
  if (!block) throw new Error("docs/using-flags.md has no `// flags.mjs` snippet");
  if (!block[1].includes("http://127.0.0.1:8787")) throw new Error("the docs snippet no longer points at npm start's address");
  return block[1].replace("http://127.0.0.1:8787", base);
}

/**
 * The OFREP web provider (changeDetection 'sse', polling off) follows a toggle through the event
 * stream: PROVIDER_CONFIGURATION_CHANGED fires and the next evaluation reads the new value. With
 * `streams` false (a server started with EVENT_STREAMS=off) the same steps must see no change: the
 * negative control, which shows the stream is what carried it. The control's window (3 s) is forty
 * times the stream's own p50 (docs/performance.md).
 */
async function webProviderFollows(base, streams) {
  const api = flagpostClient(base, await createApiKey(base, "flagpost-local-admin", `web-${streams}-${Date.now()}`));
  const project = (await api.call("POST", "/projects", { key: "app", name: "App" }, { expect: 201 })).body;
  await api.call("POST", `/projects/${project.id}/flags`, { key: "banner", name: "Banner" }, { expect: 201 });
  await api.call("PATCH", `/projects/${project.id}/flags/banner/environments/production`, { enabled: true }, { expect: 200 });
  const key = (await api.call("POST", `/projects/${project.id}/environments/production/sdk-keys`, { name: "web", kind: "client" }, { expect: 201 })).body.key;
  const web = await openWebClient(base, key);
  try {
    const label = streams ? "with streams" : "with EVENT_STREAMS=off";
    if (web.client.getBooleanValue("banner", false) !== true) throw new Error(`${label}: the provider did not start with the served value`);
    if (web.streaming !== streams) throw new Error(`${label}: the provider ${web.streaming ? "opened" : "did not open"} an event stream`);
    const change = web.nextChange(streams ? 10_000 : 3_000);
    await api.call("PATCH", `/projects/${project.id}/flags/banner/environments/production`, { enabled: false }, { expect: 200 });
    const seen = await change;
    const value = web.client.getBooleanValue("banner", true);
    if (streams && (!seen || value !== false))
      throw new Error(`with streams: change event ${seen ? "fired" : "did not fire"}, the next evaluation read ${value}`);
    if (!streams && (seen || value !== true))
      throw new Error(`with EVENT_STREAMS=off the provider still saw the change (event ${!!seen}, value ${value}): the control proves nothing`);
    console.log(
      streams
        ? "OFREP web provider (sse, no polling): a toggle fired PROVIDER_CONFIGURATION_CHANGED and the next evaluation read false. passed"
        : "negative control, EVENT_STREAMS=off: no change event within 3 s, the provider still reads true. passed",
    );
  } finally {
    await web.close();
  }
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flagpost-sdk-"));
  const port = await freePort();
  const offPort = await freePort();
  const [worker, noStreams] = await Promise.all([
    startWorker({ port, stateDir: path.join(dir, "state"), logFile: path.join(dir, "wrangler.log"), readyPath: "/api/v1/openapi.json" }),
    startWorker({
      port: offPort,
      stateDir: path.join(dir, "state-off"),
      logFile: path.join(dir, "wrangler-off.log"),
      readyPath: "/api/v1/openapi.json",
      vars: { EVENT_STREAMS: "off" },
    }),
  ]);
  const snippetFile = path.join(ROOT, "node_modules/.cache/flagpost-readme-snippet.mjs"); // resolves the repository's packages
  try {
    const api = flagpostClient(worker.base, await createApiKey(worker.base, "flagpost-local-admin", `sdk-${port}`));
    const project = (await api.call("POST", "/projects", { key: "web", name: "Web" }, { expect: 201 })).body;
    const flag = (await api.call("POST", `/projects/${project.id}/flags`, { key: "new-checkout", name: "New Checkout" }, { expect: 201 })).body;
    const live = flag.variations[0].id;
    await api.call(
      "PATCH",
      `/projects/${project.id}/flags/new-checkout/environments/production`,
      {
        enabled: true,
        rollout_percentage: 20,
        conditions: [{ name: "Pro", variation_id: live, rules: [{ property: "plan", operator: "STR_EQUALS", values: ["pro"] }] }],
      },
      { expect: 200 },
    );
    const key = (await api.call("POST", `/projects/${project.id}/environments/production/sdk-keys`, { name: "node" }, { expect: 201 })).body.key;

    fs.mkdirSync(path.dirname(snippetFile), { recursive: true });
    fs.writeFileSync(snippetFile, readmeSnippet(worker.base));
    const { stdout } = await run(process.execPath, [snippetFile], { env: { ...process.env, FLAGPOST_SDK_KEY: key }, timeout: 30_000 });
    const [value, variant, reason, revision] = stdout.trim().split(/\s+/);

    const context = { targetingKey: "user-42", plan: "pro" };
    const own = await (
      await fetch(`${worker.base}/ofrep/v1/evaluate/flags/new-checkout`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ context }),
      })
    ).json();
    const config = await (await fetch(`${worker.base}/tggl/config`, { headers: { "x-tggl-api-key": key } })).json();
    const tggl = evalFlag(
      { ...context, userId: context.targetingKey },
      config.find((f) => f.slug === "new-checkout"),
    );
    const expected = [String(own.value), own.variant, own.reason, String(own.metadata.revision)];
    const problems = [];
    if ([value, variant, reason, revision].join(" ") !== expected.join(" "))
      problems.push(`the docs snippet printed "${stdout.trim()}", Flagpost's OFREP answers "${expected.join(" ")}"`);
    if (own.reason !== "TARGETING_MATCH" || own.value !== true) problems.push(`expected the Pro condition to match: ${JSON.stringify(own)}`);
    if (String(tggl) !== value) problems.push(`tggl-core on /tggl/config gives ${tggl}, the SDK ${value}`);
    if (problems.length) throw new Error(problems.join("\n"));
    console.log(`docs/using-flags.md OpenFeature snippet against a local run: ${stdout.trim()} — agrees with OFREP and tggl-core. passed`);

    await webProviderFollows(worker.base, true);
    await webProviderFollows(noStreams.base, false);
  } finally {
    fs.rmSync(snippetFile, { force: true });
    await Promise.all([worker.stop(), noStreams.stop()]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const watchdog = setTimeout(() => {
  console.error("test:sdk passed its time limit; stopping");
  killAllStarted();
  process.exit(2);
}, WATCHDOG_MS);
main()
  .then(() => clearTimeout(watchdog))
  .catch((err) => {
    console.error(err);
    killAllStarted();
    process.exit(1);
  });
