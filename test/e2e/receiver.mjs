// A webhook receiver on 127.0.0.1 for the browser tests. It keeps every request it gets and answers
// by path:
//   /hooks/ok/…    200 with a small JSON body and an x-receiver header
//   /hooks/fail/…  500 "receiver is down"
//   /hooks/gone/…  410 Gone: the receiver says it will never take deliveries again
//   /cross-site    an HTML page on another origin whose form posts into the dashboard (CSRF check)
import http from "node:http";

export async function startReceiver() {
  const received = [];
  let crossSitePage = "<!doctype html><p>nothing yet</p>";
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      if (url.pathname === "/cross-site") {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        res.end(crossSitePage);
        return;
      }
      received.push({ path: url.pathname, headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() });
      if (url.pathname.startsWith("/hooks/gone")) {
        res.writeHead(410, { "content-type": "text/plain" });
        res.end("this endpoint is gone");
        return;
      }
      if (url.pathname.startsWith("/hooks/fail")) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end("receiver is down");
        return;
      }
      res.writeHead(200, { "content-type": "application/json", "x-receiver": "flagpost-e2e" });
      res.end(JSON.stringify({ received: true, by: "e2e receiver", event: req.headers["x-rollgate-event"] ?? null }));
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    base,
    received,
    /** Serves `html` at /cross-site. */
    setCrossSitePage(html) {
      crossSitePage = html;
    },
    /** Resolves with the first request matching `match`, polling until `timeoutMs`. */
    async waitFor(match, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const hit = received.find(match);
        if (hit) return hit;
        if (Date.now() > until) throw new Error("the receiver did not get the expected request in time");
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
