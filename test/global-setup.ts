// Runs in Node, outside workerd: a real HTTP receiver on 127.0.0.1 that the Worker delivers to.
// The path chooses the behaviour, so each test gets its own endpoint:
//   /ok/<id>            200 "ok"
//   /status/<code>/<id> answers that status
//   /redirect/<id>      301 to /ok/<id>-redirected
//   /slow/<ms>/<id>     answers 200 after <ms>
//   /close/<id>         destroys the socket without an answer
//   /fail/<n>/<id>      answers 500 to the first <n> requests, then 200
//   /retry-after/<v>/<id> answers 429 with Retry-After: <v> (URL-decoded: seconds or an HTTP date)
//   /down/<id>          answers 503 until GET /_up?path=/down/<id>, then 200
// GET /_received?prefix=/ok/abc lists what arrived (method, url, headers, raw body).
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    receiverUrl: string;
  }
}

interface Received {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  at: number;
}

export default async function setup(project: TestProject) {
  const received: Received[] = [];
  const counts = new Map<string, number>();
  const up = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      if (req.method === "GET" && url.pathname === "/_received") {
        const prefix = url.searchParams.get("prefix") ?? "";
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(received.filter((r) => r.url.startsWith(prefix))));
        return;
      }
      if (req.method === "GET" && url.pathname === "/_up") {
        up.add(url.searchParams.get("path") ?? "");
        res.writeHead(204);
        res.end();
        return;
      }
      received.push({ method: req.method ?? "", url: url.pathname, headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() });
      const [, kind, arg] = url.pathname.split("/");
      const seen = (counts.get(url.pathname) ?? 0) + 1;
      counts.set(url.pathname, seen);
      if (kind === "status") {
        res.writeHead(Number(arg), { "content-type": "text/plain" });
        res.end(`status ${arg}`);
      } else if (kind === "redirect") {
        res.writeHead(301, { location: `${url.pathname.replace("/redirect/", "/ok/")}-redirected` });
        res.end();
      } else if (kind === "slow") {
        setTimeout(() => {
          res.writeHead(200, { "content-type": "text/plain" });
          res.end("slow ok");
        }, Number(arg));
      } else if (kind === "retry-after") {
        res.writeHead(429, { "content-type": "text/plain", "retry-after": decodeURIComponent(arg) });
        res.end("slow down");
      } else if (kind === "down") {
        const isUp = up.has(url.pathname);
        res.writeHead(isUp ? 200 : 503, { "content-type": "text/plain" });
        res.end(isUp ? "back" : "down");
      } else if (kind === "close") {
        req.socket.destroy();
      } else if (kind === "fail") {
        res.writeHead(seen <= Number(arg) ? 500 : 200, { "content-type": "text/plain" });
        res.end(seen <= Number(arg) ? "failing" : "recovered");
      } else {
        res.writeHead(200, { "content-type": "text/plain", "x-receiver": "flagpost-test" });
        res.end("ok");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  project.provide("receiverUrl", `http://127.0.0.1:${port}`);
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}
