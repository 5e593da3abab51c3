import { describe, expect, it } from "vitest";
import { checkWebhookUrl } from "../src/outbound/url-guard";

const deployed = { allowInsecure: false };
const local = { allowInsecure: true };

function reasonFor(raw: string, policy = deployed): string {
  const result = checkWebhookUrl(raw, policy);
  if (result.ok) throw new Error(`expected ${raw} to be refused`);
  return result.reason;
}

describe("what the runtime's URL parser does to odd hosts (the guard sees the result)", () => {
  it.each([
    ["https://2130706433/", "127.0.0.1"],
    ["https://0x7f000001/", "127.0.0.1"],
    ["https://0177.0.0.1/", "127.0.0.1"],
    ["https://127.1/", "127.0.0.1"],
    ["https://0x7f.1/", "127.0.0.1"],
    ["https://017700000001/", "127.0.0.1"],
    ["https://LOCALHOST/", "localhost"],
    ["https://%6c%6fcalhost/", "localhost"],
    ["https://[::ffff:127.0.0.1]/", "[::ffff:7f00:1]"],
    ["https://[0:0:0:0:0:0:0:1]/", "[::1]"],
    ["https://ｌｏｃａｌｈｏｓｔ/", "localhost"],
  ])("%s has hostname %s", (raw, hostname) => {
    expect(new URL(raw).hostname).toBe(hostname);
  });

  it.each(["https://256.0.0.1/", "https://foo.123/", "https://1.2.3.4.5/", "https://08.0.0.1/"])("%s does not parse at all", (raw) => {
    expect(() => new URL(raw)).toThrow();
  });
});

describe("checkWebhookUrl, deployed (https to public hosts only)", () => {
  it.each([
    "https://example.com/hooks/flagpost",
    "https://hooks.example.com:8443/in?token=abc#frag",
    "https://EXAMPLE.com./webhook",
    "https://8.8.8.8/",
    "https://1.1.1.1:443/x",
    "https://172.32.0.1/",
    "https://100.128.0.1/",
    "https://192.169.0.1/",
    "https://[2606:4700:4700::1111]/",
    "https://[::ffff:8.8.8.8]/",
    "https://[64:ff9b::808:808]/",
    "https://xn--caf-dma.example.com/",
    "https://café.example.com/",
    "https://test.example.com/",
    "https://corp.example.com:8443/",
    "https://my-localhost.example.com/",
    "https://internal.example.com/",
  ])("accepts %s", (raw) => {
    const result = checkWebhookUrl(raw, deployed);
    expect(result).toMatchObject({ ok: true });
    if (result.ok) expect(result.url.href).toBe(new URL(raw).href);
  });

  it.each([
    // scheme and shape
    ["not a url", "not a valid absolute URL"],
    ["/relative/path", "not a valid absolute URL"],
    ["", "not a valid absolute URL"],
    ["http://example.com/hook", "must use https"],
    ["ftp://example.com/hook", "must be http or https, not ftp"],
    ["javascript:alert(1)", "must be http or https, not javascript"],
    ["file:///etc/passwd", "must be http or https, not file"],
    ["https://user:pass@example.com/", "user name or password"],
    ["https://user@example.com/", "user name or password"],
    ["https://:pass@example.com/", "user name or password"],
    // loopback, literal and named
    ["https://127.0.0.1/", "127.0.0.1 is a loopback address"],
    ["https://127.255.255.254:8787/", "loopback address"],
    ["https://localhost/", "localhost is a loopback name"],
    ["https://LocalHost./", "loopback name"],
    ["https://api.localhost/", "loopback name"],
    ["https://[::1]/", "[::1] is a loopback address"],
    // odd IPv4 notations, as normalised by the parser
    ["https://2130706433/", "127.0.0.1 is a loopback address"],
    ["https://0x7f000001/", "loopback address"],
    ["https://0177.0.0.1/", "loopback address"],
    ["https://127.1/", "loopback address"],
    ["https://0x7f.0.0.1/", "loopback address"],
    ["https://3232235777/", "192.168.1.1 is a private address"],
    // private and shared
    ["https://10.0.0.1/", "private address"],
    ["https://10.255.255.255/", "private address"],
    ["https://172.16.0.1/", "private address"],
    ["https://172.31.255.255/", "private address"],
    ["https://192.168.1.10/", "private address"],
    ["https://100.64.0.1/", "carrier-grade NAT"],
    ["https://100.127.255.255/", "carrier-grade NAT"],
    // link-local and metadata
    ["https://169.254.1.1/", "link-local address"],
    ["https://169.254.169.254/latest/meta-data/", "cloud metadata address"],
    ["https://[fd00:ec2::254]/", "cloud metadata address"],
    ["https://metadata.google.internal/computeMetadata/v1/", "cloud metadata host"],
    ["https://metadata/", "cloud metadata host"],
    ["https://instance-data/", "cloud metadata host"],
    ["https://metadata.goog/", "cloud metadata host"],
    ["https://[fe80::1]/", "link-local address"],
    ["https://[febf:ffff::1]/", "link-local address"],
    // unique-local, unspecified, multicast, broadcast, reserved
    ["https://[fc00::1]/", "unique-local address"],
    ["https://[fd12:3456::1]/", "unique-local address"],
    ["https://0.0.0.0/", "unspecified address"],
    ["https://0/", "unspecified address"],
    ["https://0.1.2.3/", "reserved address"],
    ["https://[::]/", "unspecified address"],
    ["https://224.0.0.1/", "multicast address"],
    ["https://239.255.255.250/", "multicast address"],
    ["https://[ff02::1]/", "multicast address"],
    ["https://255.255.255.255/", "broadcast address"],
    ["https://240.0.0.1/", "reserved address"],
    ["https://192.0.0.192/", "reserved address"],
    ["https://192.0.2.1/", "documentation address"],
    ["https://198.18.0.1/", "benchmarking"],
    ["https://[2001:db8::1]/", "documentation address"],
    // IPv4 inside IPv6
    ["https://[::ffff:127.0.0.1]/", "IPv4-mapped form of a loopback address (127.0.0.1)"],
    ["https://[::ffff:7f00:1]/", "IPv4-mapped form of a loopback address (127.0.0.1)"],
    ["https://[::ffff:10.0.0.1]/", "IPv4-mapped form of a private address (10.0.0.1)"],
    ["https://[::ffff:169.254.169.254]/", "IPv4-mapped form of a cloud metadata address"],
    ["https://[::ffff:0.0.0.0]/", "IPv4-mapped form of the unspecified address"],
    ["https://[64:ff9b::127.0.0.1]/", "NAT64 form of a loopback address (127.0.0.1)"],
    ["https://[64:ff9b::a9fe:a9fe]/", "NAT64 form of a cloud metadata address (169.254.169.254)"],
    ["https://[64:ff9b:1::1]/", "local-use NAT64 address"],
    ["https://[2002:7f00:1::]/", "6to4 form of a loopback address (127.0.0.1)"],
    ["https://[::127.0.0.1]/", "reserved address"],
    // names that never reach a public host
    ["https://intranet/", "single-label name"],
    ["https://printer.local/", "private name (.local)"],
    ["https://db.internal/", "private name (.internal)"],
    ["https://service.corp.internal./", "private name (.internal)"],
    ["https://router.home.arpa/", "private name (.home.arpa)"],
    // v1.2: every special-use name, in any case, with or without a final dot, and port 0
    ["https://app.localhost/", "loopback name"],
    ["https://hooks.test/", "special-use or private name (.test)"],
    ["https://HOOKS.TEST./", "special-use or private name (.test)"],
    ["https://nothing.invalid/", "special-use or private name (.invalid)"],
    ["https://hooks.example/", "special-use or private name (.example)"],
    ["https://example/", "special-use or private name (.example)"],
    ["https://abcdefghijklmnop.onion/", "special-use or private name (.onion)"],
    ["https://nas.home.arpa./", "special-use or private name (.home.arpa)"],
    ["https://printer.lan/", "special-use or private name (.lan)"],
    ["https://jira.corp/", "special-use or private name (.corp)"],
    ["https://Jira.Corp./", "special-use or private name (.corp)"],
    ["https://mdns.local/", "special-use or private name (.local)"],
    ["https://svc.internal/", "special-use or private name (.internal)"],
    ["https://example.com:0/", "port 0"],
    ["https://8.8.8.8:0/", "port 0"],
  ])("refuses %s (%s)", (raw, reason) => {
    expect(reasonFor(raw)).toContain(reason);
  });

  it("says what is wrong and what is allowed, in words fit for a 400", () => {
    expect(reasonFor("https://127.0.0.1:8787/hook")).toBe("URL host 127.0.0.1 is a loopback address; webhooks may only target public hosts");
    expect(reasonFor("http://example.com/")).toBe("URL must use https");
    expect(reasonFor("nope")).toBe("URL is not a valid absolute URL");
  });
});

describe("the URL that passes is the normalized one (WHATWG serialization), which is what is stored", () => {
  it.each([
    ["HTTPS://Example.COM:443/a/../b?x=1#f", "https://example.com/b?x=1#f"],
    ["https://example.com", "https://example.com/"],
    ["https://café.example.com/ü", "https://xn--caf-dma.example.com/%C3%BC"],
    ["https://EXAMPLE.com./hook", "https://example.com./hook"],
    ["https://example.com:8443/%7e", "https://example.com:8443/%7e"],
  ])("%s passes as %s", (raw, href) => {
    const result = checkWebhookUrl(raw, deployed);
    expect(result.ok && result.url.href).toBe(href);
  });
});

describe("a webhook may not call Flagpost itself, however its host is spelled (v1.2)", () => {
  const localOwn = { allowInsecure: true, ownHosts: ["127.0.0.1:8787"] };
  it.each([
    "http://127.0.0.1:8787/x",
    "http://[::ffff:127.0.0.1]:8787/x",
    "http://[::FFFF:7f00:1]:8787/x",
    "http://2130706433:8787/x",
    "http://0x7f000001:8787/x",
    "http://0177.0.0.1:8787/x",
    "http://0177.0.0.01:8787/x",
    "http://127.1:8787/x",
    "http://127.0.0.1.:8787/x",
    "http://LOCALHOST:8787/x",
    "http://localhost.:8787/x",
    "http://app.localhost:8787/x",
    "http://[::1]:8787/x",
  ])("locally, %s is Flagpost", (raw) => {
    expect(reasonFor(raw, localOwn)).toContain("is Flagpost itself");
  });

  it("locally, another port of the same host is not Flagpost", () => {
    expect(checkWebhookUrl("http://[::ffff:127.0.0.1]:9999/x", localOwn)).toMatchObject({ ok: true });
  });

  const deployedOwn = { allowInsecure: false, ownHosts: ["flags.example.com", "203.0.113.10"] };
  it.each([
    "https://flags.example.com/x",
    "https://FLAGS.Example.COM./x",
    "https://flags.example.com:8443/x",
    "https://203.0.113.10/x",
    "https://[::ffff:203.0.113.10]/x",
    "https://[::ffff:cb00:710a]/x",
    "https://3405803786/x",
    "https://0xcb00710a/x",
    "https://0313.0.0161.012/x",
    "https://203.0.113.10./x",
  ])("deployed, %s is Flagpost", (raw) => {
    expect(reasonFor(raw, deployedOwn)).toContain("is Flagpost itself");
  });
});

describe("checkWebhookUrl, local (http and any host)", () => {
  it.each([
    "http://127.0.0.1:8787/ok/1",
    "http://localhost:3000/hook",
    "https://localhost/hook",
    "http://[::1]:9000/",
    "http://10.0.0.5/",
    "http://169.254.169.254/",
    "http://metadata.google.internal/",
    "http://receiver/",
    "http://2130706433/",
    "https://example.com/",
  ])("accepts %s", (raw) => {
    expect(checkWebhookUrl(raw, local)).toMatchObject({ ok: true });
  });

  it.each([
    ["not a url", "not a valid absolute URL"],
    ["ftp://127.0.0.1/", "must be http or https"],
    ["ws://127.0.0.1/", "must be http or https"],
    ["http://user:pass@127.0.0.1/", "user name or password"],
  ])("still refuses %s (%s)", (raw, reason) => {
    expect(reasonFor(raw, local)).toContain(reason);
  });
});
