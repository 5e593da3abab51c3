// The parent's handle on bench/lib/receiver.mjs: starts it, asks it over IPC, stops it.
import { fork } from "node:child_process";
import path from "node:path";

export async function startReceiver() {
  const child = fork(path.join(import.meta.dirname, "receiver.mjs"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const pending = new Map();
  let nextRid = 1;
  const port = await new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the receiver exited (${code}) before listening`)));
    child.once("message", (msg) => resolve(msg.port));
  });
  child.on("message", (msg) => {
    pending.get(msg.rid)?.(msg);
    pending.delete(msg.rid);
  });
  const ask = (msg) =>
    new Promise((resolve) => {
      const rid = nextRid++;
      pending.set(rid, resolve);
      child.send({ ...msg, rid });
    });
  return {
    url: `http://127.0.0.1:${port}`,
    /** Resolves when `group` has `count` arrivals (or at the time-out), with the records from `from`. */
    waitFor: (group, count, { from, timeoutMs = 10_000 } = {}) => ask({ cmd: "wait", group, count, from, timeoutMs }),
    stats: (group) => ask({ cmd: "stats", group }),
    stop: () => {
      child.removeAllListeners("exit");
      child.kill("SIGTERM");
    },
  };
}
