// Which URLs a webhook may target. Checked when a webhook is saved and again before every attempt,
// because the policy (ALLOW_INSECURE_WEBHOOK_URLS) can differ between the two.
//
// Outside local runs a webhook may only reach https:// public hosts, on a port other than 0, under
// a name that can be public (special-use names such as .test, .onion or .corp never are). Only the
// URL is judged here: a public name can still resolve to a private address, which is what the
// runtime's `global_fetch_strictly_public` flag and the platform's refusal of raw IPs are for.
//
// The URL that passes is the WHATWG parser's serialization of what was sent (`url.href`): that is
// what is stored and shown, so the string a webhook shows is the one that is checked and called.
import { hasControlCharacter } from "../kernel/text";

export type WebhookUrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

export interface WebhookUrlPolicy {
  /** Local runs: allow http:// and any host and port, loopback included. */
  allowInsecure: boolean;
  /**
   * Where Flagpost itself answers (`host` or `host:port`): the request's host and PUBLIC_URL. A
   * webhook there would call Flagpost with its own signed requests (and any key in its headers).
   * Deployed, any port of such a name is Flagpost; locally only the same port is.
   */
  ownHosts?: string[];
}

const PUBLIC_ONLY = "webhooks may only target public hosts";

/**
 * Ports of well-known services that do not speak HTTP (fetch's "bad ports", databases, caches, mail,
 * remote shells): deployed, a webhook may not aim its POST at them.
 */
const NON_HTTP_PORTS = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137,
  139, 143, 161, 179, 389, 427, 445, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1433, 1521, 1719,
  1720, 1723, 2049, 2375, 2376, 2379, 3306, 3389, 3659, 4045, 5060, 5061, 5432, 5900, 6000, 6379, 6566, 6665, 6666, 6667, 6668, 6669, 6697, 9042, 9200, 9300,
  10080, 11211, 27017,
]);

export function checkWebhookUrl(raw: string, policy: WebhookUrlPolicy): WebhookUrlCheck {
  // The URL parser would silently drop tabs and newlines, so what is stored would not be what was sent.
  if (hasControlCharacter(raw)) return refuse("URL must not contain control characters");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse("URL is not a valid absolute URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return refuse(`URL scheme must be http or https, not ${url.protocol.replace(/:$/, "")}`);
  }
  // Credentials in a URL end up in logs and delivery records; custom headers are the place for them.
  if (url.username !== "" || url.password !== "") {
    return refuse("URL must not contain a user name or password; send credentials in a custom header");
  }
  if (isOwnHost(url, policy)) return refuse(`URL host ${url.host} is Flagpost itself; a webhook may not call Flagpost`);
  if (policy.allowInsecure) return { ok: true, url };
  if (url.protocol !== "https:") return refuse("URL must use https");
  if (url.port === "0") return refuse("URL port 0 is not a port anything listens on");
  if (url.port !== "" && NON_HTTP_PORTS.has(Number(url.port))) return refuse(`URL port ${url.port} belongs to a service that does not speak HTTP`);
  const problem = hostProblem(url.hostname);
  return problem ? refuse(`URL host ${url.hostname} is ${problem}; ${PUBLIC_ONLY}`) : { ok: true, url };
}

function isOwnHost(url: URL, policy: WebhookUrlPolicy): boolean {
  const name = sameHostName(url.hostname);
  return (policy.ownHosts ?? []).some((own) => {
    let ownUrl: URL;
    try {
      ownUrl = new URL(`http://${own}`);
    } catch {
      return false;
    }
    if (sameHostName(ownUrl.hostname) !== name) return false;
    return !policy.allowInsecure || ownUrl.port === url.port;
  });
}

/**
 * A host name as compared with Flagpost's own: lower case, no final dot, an IPv4 address however it
 * is written (the URL parser already turned decimal, hexadecimal and octal forms into dotted ones;
 * an IPv4-mapped IPv6 address is read as the IPv4 address it maps), every loopback name alike.
 */
function sameHostName(hostname: string): string {
  let name = hostname.toLowerCase().replace(/\.$/, "");
  if (name.startsWith("[")) {
    const address = parseIPv6(name.slice(1, -1));
    if (address !== null && inRange(address, "::ffff:0:0", 96)) name = formatIPv4(Number(address & 0xffffffffn));
  } else if (endsInNumber(name)) {
    const address = parseIPv4(name);
    if (address !== null) name = formatIPv4(address);
  }
  if (name === "localhost" || name.endsWith(".localhost") || name === "[::1]" || /^127\./.test(name) || name === "0.0.0.0") return "loopback";
  return name;
}

function refuse(reason: string): WebhookUrlCheck {
  return { ok: false, reason };
}

/** What makes a host unacceptable outside local runs, as a noun phrase, or null when it is fine. */
function hostProblem(hostname: string): string | null {
  if (hostname.startsWith("[")) {
    const address = parseIPv6(hostname.slice(1, -1));
    return address === null ? "not a valid IPv6 address" : ipv6Problem(address);
  }
  const name = hostname.toLowerCase().replace(/\.$/, "");
  // A host whose last label is a number is an IPv4 address in WHATWG's reading, in whatever notation.
  if (endsInNumber(name)) {
    const address = parseIPv4(name);
    return address === null ? "not a valid IPv4 address" : ipv4Problem(address);
  }
  return nameProblem(name);
}

// ---- Names -----------------------------------------------------------------------------------

const METADATA_NAMES = new Set(["metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal"]);
/**
 * Special-use names (RFC 6761, 6762, 7686, 8375, 9476) and the private suffixes networks use in
 * practice (.lan, .corp, .localdomain): none names a public host.
 */
const PRIVATE_SUFFIXES = ["internal", "local", "localdomain", "home.arpa", "test", "invalid", "example", "onion", "alt", "lan", "corp"];

function nameProblem(name: string): string | null {
  if (METADATA_NAMES.has(name)) return "a cloud metadata host";
  if (name === "localhost" || name.endsWith(".localhost")) return "a loopback name";
  for (const suffix of PRIVATE_SUFFIXES) {
    if (name === suffix || name.endsWith(`.${suffix}`)) return `a special-use or private name (.${suffix})`;
  }
  if (!name.includes(".")) return "a single-label name, not a fully qualified public domain";
  return null;
}

// ---- IPv4 ------------------------------------------------------------------------------------

const IPV4_NUMBER = /^(?:0x[0-9a-f]*|[0-9]+)$/;

function endsInNumber(name: string): boolean {
  const labels = name.split(".");
  return IPV4_NUMBER.test(labels[labels.length - 1] ?? "");
}

/** WHATWG's IPv4 parser: 1–4 parts, each decimal, 0x-hex or 0-octal; the last fills the rest. */
function parseIPv4(name: string): number | null {
  const parts = name.split(".");
  if (parts.length > 4) return null;
  const numbers: number[] = [];
  for (const part of parts) {
    const n = parseIPv4Number(part);
    if (n === null) return null;
    numbers.push(n);
  }
  const last = numbers.pop() as number;
  if (numbers.some((n) => n > 255) || last >= 256 ** (4 - numbers.length)) return null;
  return numbers.reduce((acc, n, i) => acc + n * 256 ** (3 - i), last);
}

function parseIPv4Number(part: string): number | null {
  if (/^0x[0-9a-f]*$/.test(part)) return part.length === 2 ? 0 : parseInt(part.slice(2), 16);
  if (/^0[0-7]+$/.test(part)) return parseInt(part.slice(1), 8);
  if (/^(?:0|[1-9][0-9]*)$/.test(part)) return Number(part);
  return null;
}

function formatIPv4(address: number): string {
  return [24, 16, 8, 0].map((shift) => (address >>> shift) & 255).join(".");
}

type Range = [prefix: string, length: number, problem: string];

// Most specific first: the first match names the problem.
const IPV4_RANGES: Range[] = [
  ["169.254.169.254", 32, "a cloud metadata address"],
  ["0.0.0.0", 32, "the unspecified address"],
  ["255.255.255.255", 32, "the broadcast address"],
  ["0.0.0.0", 8, "a reserved address (this network)"],
  ["127.0.0.0", 8, "a loopback address"],
  ["10.0.0.0", 8, "a private address"],
  ["172.16.0.0", 12, "a private address"],
  ["192.168.0.0", 16, "a private address"],
  ["100.64.0.0", 10, "a shared (carrier-grade NAT) address"],
  ["169.254.0.0", 16, "a link-local address"],
  ["192.0.0.0", 24, "a reserved address (IETF protocol assignments)"],
  ["192.0.2.0", 24, "a documentation address"],
  ["198.51.100.0", 24, "a documentation address"],
  ["203.0.113.0", 24, "a documentation address"],
  ["198.18.0.0", 15, "a reserved address (benchmarking)"],
  ["224.0.0.0", 4, "a multicast address"],
  ["240.0.0.0", 4, "a reserved address"],
];

const IPV4_TABLE = IPV4_RANGES.map(([prefix, length, problem]) => ({
  base: parseIPv4(prefix) as number,
  length,
  problem,
}));

function ipv4Problem(address: number): string | null {
  for (const { base, length, problem } of IPV4_TABLE) {
    const shift = 32 - length;
    if (Math.floor(address / 2 ** shift) === Math.floor(base / 2 ** shift)) return problem;
  }
  return null;
}

// ---- IPv6 ------------------------------------------------------------------------------------

/** Parses an IPv6 address (with `::` and an optional dotted IPv4 tail) into a 128-bit integer. */
function parseIPv6(text: string): bigint | null {
  let body = text.toLowerCase();
  const tail = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (tail) {
    const v4 = /^(?:\d{1,3}\.){3}\d{1,3}$/.test(tail[2]!) ? parseIPv4(tail[2]!) : null;
    if (v4 === null) return null;
    body = `${tail[1]}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = body.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...Array<string>(missing).fill("0"), ...rest];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** Ranges that carry an IPv4 address, judged by the address they carry. */
const IPV6_CARRIERS: [prefix: string, length: number, form: string, shift: bigint][] = [
  ["::ffff:0:0", 96, "an IPv4-mapped form of", 0n],
  ["64:ff9b::", 96, "a NAT64 form of", 0n],
  ["2002::", 16, "a 6to4 form of", 80n],
];

const IPV6_RANGES: Range[] = [
  ["::", 128, "the unspecified address"],
  ["::1", 128, "a loopback address"],
  ["fd00:ec2::254", 128, "a cloud metadata address"],
  ["64:ff9b:1::", 48, "a local-use NAT64 address"],
  ["::", 8, "a reserved address"],
  ["100::", 64, "a reserved address (discard-only)"],
  ["2001::", 32, "a reserved address (Teredo)"],
  ["2001:db8::", 32, "a documentation address"],
  ["fc00::", 7, "a unique-local address"],
  ["fe80::", 10, "a link-local address"],
  ["fec0::", 10, "a site-local address"],
  ["ff00::", 8, "a multicast address"],
];

function inRange(address: bigint, prefix: string, length: number): boolean {
  const shift = BigInt(128 - length);
  return address >> shift === (parseIPv6(prefix) as bigint) >> shift;
}

function ipv6Problem(address: bigint): string | null {
  for (const [prefix, length, form, shift] of IPV6_CARRIERS) {
    if (!inRange(address, prefix, length)) continue;
    const v4 = Number((address >> shift) & 0xffffffffn);
    const problem = ipv4Problem(v4);
    return problem ? `${form} ${problem} (${formatIPv4(v4)})` : null;
  }
  for (const [prefix, length, problem] of IPV6_RANGES) {
    if (inRange(address, prefix, length)) return problem;
  }
  return null;
}
