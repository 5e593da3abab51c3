// The benchmark's webhook receiver, run as a child process (fork) so that the load generator's
// event loop never delays an arrival's timestamp. It answers 200 at once and stamps each request
// when its headers arrive, on the same clock as the parent (performance.timeOrigin + now()).
//
// Requests are grouped by their first path segment (/s1, /s2/7 → "s1", "s2"). The parent asks over
// IPC: {cmd: "wait", group, count, from, timeoutMs} answers once the group has `count` arrivals
// (or at the time-out) with the records from index `from`; {cmd: "stats", group} answers the count
// and the number of distinct delivery ids.
import http from "node:http";

const groups = new Map();
const waiters = [];

const now = () => performance.timeOrigin + performance.now();

function groupOf(name) {
  let g = groups.get(name);
  if (!g) {
    g = { records: [], ids: new Set() };
    groups.set(name, g);
  }
  return g;
}

function record(req, at, raw) {
  const url = req.url ?? "/";
  const name = url.split("/")[1] ?? "";
  let body = null;
  try {
    body = JSON.parse(raw);
  } catch {
    // Not JSON: keep the arrival anyway.
  }
  const flag = body?.flag?.key ?? body?.flagSlug ?? null;
  const id = req.headers["webhook-id"] ?? null;
  const g = groupOf(name);
  g.records.push({ at, path: url, id, flag });
  if (id) g.ids.add(id);
  settle();
}

function answer(w, timedOut) {
  const g = groupOf(w.group);
  process.send({ rid: w.rid, count: g.records.length, timedOut, records: g.records.slice(w.from ?? g.records.length) });
}

function settle() {
  for (let i = waiters.length - 1; i >= 0; i--) {
    const w = waiters[i];
    if (groupOf(w.group).records.length >= w.count) {
      clearTimeout(w.timer);
      waiters.splice(i, 1);
      answer(w, false);
    }
  }
}

const server = http.createServer((req, res) => {
  const at = now();
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    record(req, at, Buffer.concat(chunks).toString("utf8"));
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok");
  });
});
server.keepAliveTimeout = 60_000;

process.on("message", (msg) => {
  if (msg.cmd === "wait") {
    const w = { ...msg };
    w.timer = setTimeout(() => {
      waiters.splice(waiters.indexOf(w), 1);
      answer(w, true);
    }, msg.timeoutMs ?? 10_000);
    waiters.push(w);
    settle();
  } else if (msg.cmd === "stats") {
    const g = groupOf(msg.group);
    process.send({ rid: msg.rid, count: g.records.length, unique: g.ids.size });
  }
});
process.on("disconnect", () => process.exit(0));

server.listen(0, "127.0.0.1", () => process.send({ ready: true, port: server.address().port }));
