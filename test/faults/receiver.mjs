// A misbehaving webhook receiver on 127.0.0.1 for the fault suite. The path chooses how it answers,
// counting attempts per delivery id (the `webhook-id` header), so each webhook of a scenario can fail
// in its own way:
//   /<scenario>/ok/…                  200
//   /<scenario>/status/<code>/<n>/…   <code> to a delivery's first n requests, then 200 (n = "all": always)
//   /<scenario>/redirect/<n>/…        301 to /<scenario>/redirected/… for the first n, then 200
//   /<scenario>/close/<n>/…           destroys the connection without answering, first n; then 200
//   /<scenario>/slow/<ms>/<n>/…       answers 200 after <ms> to the first n, then at once
//   /<scenario>/delay/<ms>/…          always 200 after <ms>
//   /<scenario>/trickle/<ms>/<n>/…    200 at once, then the body a byte every 100 ms for <ms>, first n
//   /<scenario>/flap/<percent>/…      fails that share of requests at random (500 or a closed connection)
//   /<scenario>/retry-after/<s>/<n>/… 429 with Retry-After: <s> to a delivery's first n requests, then 200
//   /<scenario>/gate/<name>/…         503 while the gate <name> is closed (`gate(name, open)`), then 200
// It also keeps the order in which deliveries first got a 2xx (`successOrder`).
// It records, per delivery id, every request seen and how many 2xx answers actually went out.
import http from "node:http";

/** Answers, counting a 2xx only once it has really been sent (not to a connection already gone). */
function answer(req, res, seen, status, headers = {}) {
  if (req.socket.destroyed) return;
  res.writeHead(status, { "content-type": "text/plain", ...headers });
  res.end(status < 300 ? "ok" : `answered ${status}`);
  if (status >= 200 && status < 300) res.once("finish", () => seen.ok++ === 0 && seen.onFirstOk?.());
}

/** Headers at once, then a body that takes `ms` to arrive; counted as a 2xx only if it all went out. */
function trickle(req, res, seen, ms) {
  res.writeHead(200, { "content-type": "text/plain" });
  const started = Date.now();
  const timer = setInterval(() => {
    if (req.socket.destroyed) return clearInterval(timer);
    if (Date.now() - started < ms) return void res.write(".");
    clearInterval(timer);
    res.end("ok");
    res.once("finish", () => seen.ok++);
  }, 100);
}

/** One request: `seen` is its delivery's record, `n` the how-many-th request of that delivery. */
function behave(req, res, seen, n, gates) {
  const url = req.url ?? "/";
  const [, scenario, mode, a, b] = url.split("/");
  const first = (limit) => limit === "all" || n <= Number(limit);
  if (mode === "status") return answer(req, res, seen, first(b) ? Number(a) : 200);
  if (mode === "redirect" && first(a)) return answer(req, res, seen, 301, { location: url.replace(`/${scenario}/redirect/`, `/${scenario}/redirected/`) });
  if (mode === "close" && first(a)) return req.socket.destroy();
  if (mode === "slow" && first(b)) return void setTimeout(() => answer(req, res, seen, 200), Number(a));
  if (mode === "delay") return void setTimeout(() => answer(req, res, seen, 200), Number(a));
  if (mode === "trickle" && first(b)) return trickle(req, res, seen, Number(a));
  if (mode === "flap" && Math.random() * 100 < Number(a)) return Math.random() < 0.5 ? answer(req, res, seen, 500) : req.socket.destroy();
  if (mode === "retry-after" && first(b)) return answer(req, res, seen, 429, { "retry-after": a });
  if (mode === "gate" && !gates.has(a)) return answer(req, res, seen, 503);
  return answer(req, res, seen, 200);
}

export function createReceiver() {
  const deliveries = new Map();
  const paths = new Map();
  const gates = new Set();
  const successOrder = [];
  let server = null;
  let port = 0;

  const handle = (req, res) => {
    const url = req.url ?? "/";
    paths.set(url, (paths.get(url) ?? 0) + 1);
    const id = String(req.headers["webhook-id"] ?? "");
    if (!deliveries.has(id)) deliveries.set(id, { seen: 0, ok: 0, at: [], onFirstOk: () => successOrder.push({ id, path: url }) });
    const seen = deliveries.get(id);
    seen.at.push(Date.now());
    behave(req, res, seen, ++seen.seen, gates);
  };

  const start = () =>
    new Promise((resolve, reject) => {
      server = http.createServer((req, res) => req.resume().on("end", () => handle(req, res)));
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        port = server.address().port;
        resolve();
      });
    });

  /** Stops listening and drops every connection: attempts are refused until `start()` again. */
  const stop = () =>
    new Promise((resolve) => {
      if (!server) return resolve();
      server.closeAllConnections();
      server.close(() => resolve());
      server = null;
    });

  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    start,
    stop,
    delivery: (id) => deliveries.get(id) ?? { seen: 0, ok: 0, at: [] },
    /** Opens (or closes) a gate: /<scenario>/gate/<name>/… answers 200 while open, 503 while closed. */
    gate: (name, open) => (open ? gates.add(name) : gates.delete(name)),
    /** Delivery ids in the order they first got a 2xx, with the path they were sent to. */
    successOrder: (prefix) => successOrder.filter((s) => s.path.startsWith(prefix)).map((s) => s.id),
    /** Requests that arrived on paths starting with `prefix`. */
    hits: (prefix) => [...paths].filter(([p]) => p.startsWith(prefix)).reduce((sum, [, c]) => sum + c, 0),
  };
}
