// wrangler.toml and deploy/terraform describe the same Worker twice, for two ways of deploying it.
// Nothing ties them together but this test: it fails when their bindings, Durable Object classes,
// queues, vars, secrets or crons drift apart, and when [env.production] loses a production setting.
// The files arrive as text through the DEPLOY_FILES binding (see vitest.config.ts).
import { env } from "cloudflare:test";
import { parse as parseToml } from "smol-toml";
import { beforeAll, describe, expect, it } from "vitest";
import * as worker from "../src/index";

interface DeployFiles {
  wrangler: string;
  terraform: Record<string, string>;
}

const files = JSON.parse(env.DEPLOY_FILES) as DeployFiles;
const wrangler = parseToml(files.wrangler) as WranglerEnv & { env?: Record<string, WranglerEnv> };
const production = productionEnv();
let terraform: TerraformModule;
let script: Block;

beforeAll(() => {
  terraform = new TerraformModule(Object.values(files.terraform).join("\n"));
  script = terraform.resource("cloudflare_workers_script");
});

describe("wrangler.toml [env.production]", () => {
  it("keeps secrets out of vars and refuses insecure webhook URLs", () => {
    const vars = production.vars ?? {};
    expect(Object.keys(vars)).not.toContain("ADMIN_TOKEN");
    expect(Object.keys(vars)).not.toContain("WEBHOOK_SECRETS_KEY");
    expect(production.secrets?.required?.slice().sort()).toEqual(["ADMIN_TOKEN", "WEBHOOK_SECRETS_KEY"]);
    expect(vars.ALLOW_INSECURE_WEBHOOK_URLS).toBe("false");
    expect(production.compatibility_flags).toContain("global_fetch_strictly_public");
  });

  it("gives SDK keys a request budget: SDK_RATE_LIMITER's limit is SDK_RATE_LIMIT_PER_MINUTE a minute", () => {
    const limiter = production.ratelimits?.find((r) => r.name === "SDK_RATE_LIMITER");
    expect(limiter?.simple.period).toBe(60);
    expect(String(limiter?.simple.limit)).toBe(production.vars?.SDK_RATE_LIMIT_PER_MINUTE);
  });

  it("can never turn the test-only fault injection on", () => {
    // src/faults.ts opens its routes (and its faulty queue sender) only when FAULT_INJECTION is "true";
    // only the fault runner passes it, on the command line of a local run.
    expect(Object.keys(production.vars ?? {})).not.toContain("FAULT_INJECTION");
    expect(production.secrets?.required ?? []).not.toContain("FAULT_INJECTION");
    expect(Object.keys(wrangler.vars ?? {})).not.toContain("FAULT_INJECTION");
    expect(Object.values(files.terraform).join("\n")).not.toMatch(/FAULT_INJECTION/);
  });

  it("sets every setting the local run sets, as a var or a secret", () => {
    const deployed = [...Object.keys(production.vars ?? {}), ...(production.secrets?.required ?? [])];
    for (const name of Object.keys(wrangler.vars ?? {})) expect(deployed, name).toContain(name);
  });

  it("binds what the local run binds", () => {
    // The rate limiter is production-only: a local run counts in the isolate instead.
    const shape = (e: WranglerEnv) => wranglerBindings(e).filter((b) => !/^(plain_text|secret_text|ratelimit) /.test(b));
    expect(shape(production)).toEqual(shape(wrangler));
    expect(wranglerConsumers(production)).toEqual(wranglerConsumers(wrangler));
    expect(wranglerMigrations(production)).toEqual(wranglerMigrations(wrangler));
    expect(production.compatibility_flags?.slice().sort()).toEqual(wrangler.compatibility_flags?.slice().sort());
  });

  it("names Durable Object classes and handlers that src/index.ts exports", () => {
    const exported = worker as unknown as Record<string, unknown>;
    for (const { class_name } of production.durable_objects?.bindings ?? []) expect(typeof exported[class_name], class_name).toBe("function");
    const handlers = worker.default as unknown as Record<string, unknown>;
    if (production.queues?.consumers?.length) expect(typeof handlers.queue).toBe("function");
    if (production.triggers?.crons?.length) expect(typeof handlers.scheduled).toBe("function");
  });
});

describe("deploy/terraform matches wrangler.toml [env.production]", () => {
  it("deploys the same Worker", () => {
    expect(terraform.eval(script.attrs.script_name)).toBe(production.name);
    expect(terraform.eval(script.attrs.compatibility_date)).toBe(production.compatibility_date);
    expect(sorted(terraform.eval(script.attrs.compatibility_flags))).toEqual(sorted(production.compatibility_flags));
    // The bundle `wrangler deploy --dry-run --outdir dist` writes for main = "src/index.ts".
    expect(production.main).toBe("src/index.ts");
    expect(terraform.eval(script.attrs.main_module)).toBe("index.js");
    expect(terraform.eval(terraform.locals.bundle_path)).toMatch(/(^|\/)dist\/index\.js$/);
  });

  it("has the same bindings: D1, Durable Object, queue, rate limiter, vars and secrets", () => {
    expect(terraformBindings(script)).toEqual(wranglerBindings(production));
  });

  it("has the same Durable Object migration", () => {
    const steps = wranglerMigrations(production);
    const migration = terraform.eval(script.attrs.migrations) as { new_tag?: string; new_sqlite_classes?: string[]; new_classes?: string[] };
    expect(migration.new_tag).toBe(steps.at(-1)?.tag);
    expect(sorted(migration.new_sqlite_classes ?? [])).toEqual(sorted(steps.flatMap((s) => s.new_sqlite_classes ?? [])));
    expect(sorted(migration.new_classes ?? [])).toEqual(sorted(steps.flatMap((s) => s.new_classes ?? [])));
  });

  it("has the same queues and consumer settings", () => {
    const consumers = terraform.resources("cloudflare_queue_consumer").map((block) => {
      const a = block.attrs;
      expect(terraform.eval(a.type)).toBe("worker");
      expect(terraform.eval(a.script_name)).toBe(production.name);
      const settings = (terraform.eval(a.settings) ?? {}) as Record<string, number>;
      return {
        queue: terraform.eval(terraform.follow(a.queue_id, "queue_name")),
        batch_size: settings.batch_size,
        max_wait_ms: settings.max_wait_time_ms,
        max_retries: settings.max_retries,
        max_concurrency: settings.max_concurrency,
        retry_delay: settings.retry_delay,
        dead_letter_queue: terraform.eval(a.dead_letter_queue),
      };
    });
    expect(consumers).toEqual(wranglerConsumers(production));

    const declared = sorted(terraform.resources("cloudflare_queue").map((q) => terraform.eval(q.attrs.queue_name)));
    const named = [
      ...(production.queues?.producers ?? []).map((p) => p.queue),
      ...(production.queues?.consumers ?? []).flatMap((c) => [c.queue, c.dead_letter_queue ?? []].flat()),
    ];
    expect(declared).toEqual(sorted([...new Set(named)]));
  });

  it("has the same cron triggers", () => {
    const crons = terraform.resources("cloudflare_workers_cron_trigger").flatMap((block) => {
      expect(terraform.eval(block.attrs.script_name)).toBe(production.name);
      return (terraform.eval(block.attrs.schedules) as { cron: string }[]).map((s) => s.cron);
    });
    expect(sorted(crons)).toEqual(sorted(production.triggers?.crons ?? []));
  });

  it("has the same observability setting", () => {
    const observability = terraform.eval(script.attrs.observability) as { enabled?: boolean } | undefined;
    expect(observability?.enabled ?? false).toBe(production.observability?.enabled ?? false);
  });

  it("outputs the URL and the database id", () => {
    expect(Object.keys(terraform.outputs)).toEqual(expect.arrayContaining(["url", "d1_database_id"]));
  });
});

// ---- wrangler.toml, normalized ----

interface WranglerEnv {
  name?: string;
  main?: string;
  compatibility_date?: string;
  compatibility_flags?: string[];
  vars?: Record<string, string>;
  secrets?: { required?: string[] };
  d1_databases?: { binding: string; database_name: string }[];
  durable_objects?: { bindings?: { name: string; class_name: string; script_name?: string }[] };
  migrations?: { tag: string; new_sqlite_classes?: string[]; new_classes?: string[] }[];
  queues?: {
    producers?: { binding: string; queue: string }[];
    consumers?: {
      queue: string;
      max_batch_size?: number;
      max_batch_timeout?: number;
      max_retries?: number;
      max_concurrency?: number;
      retry_delay?: number;
      dead_letter_queue?: string;
    }[];
  };
  ratelimits?: { name: string; namespace_id: string; simple: { limit: number; period: number } }[];
  triggers?: { crons?: string[] };
  observability?: { enabled?: boolean };
}

function productionEnv(): WranglerEnv {
  // What wrangler carries from the top level into an environment that does not set it; everything
  // else (vars, secrets, every binding) must be written in the environment itself.
  const INHERITED = ["main", "compatibility_date", "compatibility_flags", "migrations", "triggers", "observability"] as const;
  const own = wrangler.env?.production ?? {};
  const inherited = Object.fromEntries(INHERITED.filter((key) => key in wrangler).map((key) => [key, wrangler[key]]));
  return { ...inherited, ...own, name: own.name ?? `${wrangler.name}-production` };
}

// Binding kinds this test does not model: one appearing in wrangler.toml must be added to Terraform
// and here, so it shows up as drift until then.
const UNMODELLED_BINDINGS = [
  "kv_namespaces", "r2_buckets", "services", "ai", "analytics_engine_datasets", "hyperdrive", "vectorize",
  "workflows", "unsafe", "send_email", "browser", "images", "version_metadata", "dispatch_namespaces",
  "mtls_certificates", "pipelines", "secrets_store_secrets", "worker_loaders", "tail_consumers",
] as const;

function wranglerBindings(e: WranglerEnv): string[] {
  return sorted([
    ...(e.d1_databases ?? []).map((d) => `d1 ${d.binding} database=${d.database_name}`),
    ...(e.durable_objects?.bindings ?? []).map((d) => `durable_object_namespace ${d.name} class=${d.class_name}${d.script_name ? ` script=${d.script_name}` : ""}`),
    ...(e.queues?.producers ?? []).map((q) => `queue ${q.binding} queue=${q.queue}`),
    ...(e.ratelimits ?? []).map((r) => `ratelimit ${r.name} namespace=${r.namespace_id} limit=${r.simple.limit}/${r.simple.period}s`),
    ...Object.entries(e.vars ?? {}).map(([k, v]) => `plain_text ${k}=${v}`),
    ...(e.secrets?.required ?? []).map((k) => `secret_text ${k}`),
    ...UNMODELLED_BINDINGS.filter((key) => key in e).map((key) => `${key} (not modelled by this test)`),
  ]);
}

function wranglerConsumers(e: WranglerEnv) {
  return (e.queues?.consumers ?? []).map((c) => ({
    queue: c.queue,
    batch_size: c.max_batch_size,
    max_wait_ms: c.max_batch_timeout === undefined ? undefined : c.max_batch_timeout * 1000,
    max_retries: c.max_retries,
    max_concurrency: c.max_concurrency,
    retry_delay: c.retry_delay,
    dead_letter_queue: c.dead_letter_queue,
  }));
}

function wranglerMigrations(e: WranglerEnv) {
  return e.migrations ?? [];
}

// ---- deploy/terraform, normalized ----

function terraformBindings(script: Block): string[] {
  const bindings = terraform.evalList(script.attrs.bindings);
  return sorted(
    bindings.map(({ expr, value }) => {
      const b = value as Record<string, unknown>;
      const attr = (name: string) => (expr.kind === "object" ? expr.items.find(([k]) => k === name)?.[1] : undefined);
      switch (b.type) {
        case "d1":
          // The id is computed; follow the reference to the database resource and compare its name.
          return `d1 ${b.name} database=${terraform.eval(terraform.follow(attr("id"), "name"))}`;
        case "durable_object_namespace":
          return `durable_object_namespace ${b.name} class=${b.class_name}${b.script_name ? ` script=${b.script_name}` : ""}`;
        case "queue":
          return `queue ${b.name} queue=${b.queue_name}`;
        case "ratelimit": {
          const simple = b.simple as { limit: number; period: number };
          return `ratelimit ${b.name} namespace=${b.namespace_id} limit=${simple.limit}/${simple.period}s`;
        }
        case "plain_text":
          return `plain_text ${b.name}=${b.text}`;
        case "secret_text":
          // The value is a variable; only the name can be compared.
          return `secret_text ${b.name}`;
        default:
          return `${String(b.type)} ${String(b.name)} (not modelled by this test)`;
      }
    }),
  );
}

function sorted(list: unknown): string[] {
  return [...(list as string[])].sort();
}

// ---- A reader for the part of HCL that deploy/terraform uses ----
// Blocks, attributes, strings with ${} interpolation, numbers, booleans, null, tuples, objects,
// references and function calls are parsed; conditionals, operators and for-expressions are kept as
// text, since nothing compared here depends on them. Evaluation resolves var.* to its default,
// local.* and resource attributes written in the module; what only Cloudflare knows (an id) stays a
// reference, which `follow` turns into the resource it points at.

type Expr =
  | { kind: "literal"; value: string | number | boolean | null }
  | { kind: "template"; parts: (string | Expr)[] }
  | { kind: "tuple"; items: Expr[] }
  | { kind: "object"; items: [string, Expr][] }
  | { kind: "ref"; path: string[] }
  | { kind: "call"; name: string; args: Expr[] }
  | { kind: "opaque"; text: string };

interface Block {
  type: string;
  labels: string[];
  attrs: Record<string, Expr>;
  blocks: Block[];
}

class Unresolved {
  constructor(readonly text: string) {}
}

class TerraformModule {
  readonly blocks: Block[];
  readonly locals: Record<string, Expr> = {};
  readonly outputs: Record<string, Expr> = {};
  private readonly variables: Record<string, Expr | undefined> = {};

  constructor(source: string) {
    this.blocks = new HclParser(source).parseBody(false).blocks;
    for (const block of this.blocks) {
      if (block.type === "locals") Object.assign(this.locals, block.attrs);
      if (block.type === "variable") this.variables[block.labels[0]] = block.attrs.default;
      if (block.type === "output") this.outputs[block.labels[0]] = block.attrs.value;
    }
  }

  resources(type: string): Block[] {
    return this.blocks.filter((b) => b.type === "resource" && b.labels[0] === type);
  }

  resource(type: string): Block {
    const found = this.resources(type);
    if (found.length !== 1) throw new Error(`expected one ${type} in deploy/terraform, found ${found.length}`);
    return found[0];
  }

  /** The attribute `attr` of the resource that `expr` refers to (as in `cloudflare_queue.x.id`). */
  follow(expr: Expr | undefined, attr: string): Expr | undefined {
    if (expr?.kind !== "ref") throw new Error(`expected a reference to a resource, got ${JSON.stringify(expr)}`);
    const [type, name] = expr.path;
    const block = this.resources(type).find((b) => b.labels[1] === name);
    if (!block) throw new Error(`no resource ${type}.${name} in deploy/terraform`);
    return block.attrs[attr];
  }

  evalList(expr: Expr | undefined): { expr: Expr; value: unknown }[] {
    if (expr?.kind !== "tuple") throw new Error(`expected a list, got ${JSON.stringify(expr)}`);
    return expr.items.map((item) => ({ expr: item, value: this.eval(item) }));
  }

  eval(expr: Expr | undefined): unknown {
    if (expr === undefined) return undefined;
    switch (expr.kind) {
      case "literal":
        return expr.value;
      case "template": {
        const parts = expr.parts.map((p) => (typeof p === "string" ? p : this.eval(p)));
        return parts.some((p) => p instanceof Unresolved) ? new Unresolved(JSON.stringify(parts)) : parts.join("");
      }
      case "tuple":
        return expr.items.map((item) => this.eval(item));
      case "object":
        return Object.fromEntries(expr.items.map(([k, v]) => [k, this.eval(v)]));
      case "ref":
        return this.evalRef(expr.path);
      case "call":
        if (expr.name === "coalesce") return expr.args.map((a) => this.eval(a)).find((v) => v !== null && v !== undefined);
        return new Unresolved(`${expr.name}(…)`);
      case "opaque":
        return new Unresolved(expr.text);
    }
  }

  private evalRef([root, ...rest]: string[]): unknown {
    if (root === "var") return this.eval(this.variables[rest[0]]);
    if (root === "local") return this.eval(this.locals[rest[0]]);
    if (root === "path") return ".";
    const block = this.resources(root).find((b) => b.labels[1] === rest[0]);
    const attr = block?.attrs[rest[1]];
    return attr ? this.eval(attr) : new Unresolved([root, ...rest].join("."));
  }
}

class HclParser {
  private pos = 0;
  // Inside ( ) and [ ] newlines are plain whitespace; in bodies and objects they end an item.
  private lenient = 0;

  constructor(private readonly src: string) {}

  parseBody(inBraces: boolean): { attrs: Record<string, Expr>; blocks: Block[] } {
    const blocks: Block[] = [];
    const attrs: Record<string, Expr> = {};
    for (;;) {
      this.skip(true);
      if (this.pos >= this.src.length) {
        if (inBraces) throw this.error("unclosed block");
        break;
      }
      if (this.peek() === "}") {
        if (!inBraces) throw this.error("unexpected }");
        this.pos++;
        break;
      }
      const name = this.ident();
      this.skip(false);
      if (this.peek() === "=") {
        this.pos++;
        attrs[name] = this.expr();
        continue;
      }
      const labels: string[] = [];
      while (this.peek() !== "{") {
        labels.push(this.peek() === '"' ? this.plainString() : this.ident());
        this.skip(false);
      }
      this.pos++;
      blocks.push({ type: name, labels, ...this.parseBody(true) });
    }
    return { attrs, blocks };
  }

  private expr(): Expr {
    const start = this.pos;
    const first = this.unary();
    this.skip(this.lenient > 0);
    const rest = this.src.slice(this.pos);
    const op = /^(==|!=|<=|>=|&&|\|\||[<>+*/%?-])/.exec(rest);
    if (!op) return first;
    // An operator follows: read the rest of the expression, keep it as text.
    this.lenient++;
    while (/^(==|!=|<=|>=|&&|\|\||[<>+*/%?:-])/.test(this.src.slice(this.pos))) {
      this.pos += /^(==|!=|<=|>=|&&|\|\||.)/.exec(this.src.slice(this.pos))![0].length;
      this.unary();
      this.skip(true);
    }
    this.lenient--;
    return { kind: "opaque", text: this.src.slice(start, this.pos).trim() };
  }

  private unary(): Expr {
    this.skip(this.lenient > 0);
    const c = this.peek();
    if (c === "!" || (c === "-" && !/\d/.test(this.src[this.pos + 1] ?? ""))) {
      const start = this.pos++;
      this.unary();
      return { kind: "opaque", text: this.src.slice(start, this.pos) };
    }
    return this.primary();
  }

  /** A primary expression with what may follow it: `.attr` and `[index]`. */
  private primary(): Expr {
    const start = this.pos;
    let e = this.operand();
    while (this.peek() === "." || this.peek() === "[") {
      const step = this.peek() === "." ? (this.pos++, this.ident()) : this.balanced().slice(1, -1).trim().replace(/^"|"$/g, "");
      e = e.kind === "ref" ? { kind: "ref", path: [...e.path, step] } : { kind: "opaque", text: this.src.slice(start, this.pos) };
    }
    return e;
  }

  private operand(): Expr {
    const c = this.peek();
    if (c === '"') return this.template();
    if (c === "<" && this.src.startsWith("<<", this.pos)) return this.heredoc();
    if (/[-\d]/.test(c)) {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(this.src.slice(this.pos))!;
      this.pos += m[0].length;
      return { kind: "literal", value: Number(m[0]) };
    }
    if (c === "[" || c === "{") {
      if (/^[[{]\s*for\s/.test(this.src.slice(this.pos))) return { kind: "opaque", text: this.balanced() };
      return c === "[" ? this.tuple() : this.object();
    }
    if (c === "(") {
      this.pos++;
      this.lenient++;
      const inner = this.expr();
      this.skip(true);
      this.expect(")");
      this.lenient--;
      return inner;
    }
    const name = this.ident();
    if (name === "true" || name === "false") return { kind: "literal", value: name === "true" };
    if (name === "null") return { kind: "literal", value: null };
    if (this.peek() === "(") {
      this.pos++;
      this.lenient++;
      const args: Expr[] = [];
      for (this.skip(true); this.peek() !== ")"; this.skip(true)) {
        args.push(this.expr());
        this.skip(true);
        if (this.peek() === ",") this.pos++;
      }
      this.pos++;
      this.lenient--;
      return { kind: "call", name, args };
    }
    return { kind: "ref", path: [name] };
  }

  private tuple(): Expr {
    this.pos++;
    this.lenient++;
    const items: Expr[] = [];
    for (this.skip(true); this.peek() !== "]"; this.skip(true)) {
      items.push(this.expr());
      this.skip(true);
      if (this.peek() === ",") this.pos++;
    }
    this.pos++;
    this.lenient--;
    return { kind: "tuple", items };
  }

  private object(): Expr {
    this.pos++;
    const saved = this.lenient;
    this.lenient = 0;
    const items: [string, Expr][] = [];
    for (this.skip(true); this.peek() !== "}"; this.skip(true)) {
      const key = this.peek() === '"' ? this.plainString() : this.ident();
      this.skip(false);
      if (this.peek() !== "=" && this.peek() !== ":") throw this.error("expected = or : in an object");
      this.pos++;
      items.push([key, this.expr()]);
      this.skip(false);
      if (this.peek() === ",") this.pos++;
    }
    this.pos++;
    this.lenient = saved;
    return { kind: "object", items };
  }

  private template(): Expr {
    this.expect('"');
    const parts: (string | Expr)[] = [];
    let text = "";
    for (;;) {
      const c = this.src[this.pos++];
      if (c === undefined) throw this.error("unclosed string");
      if (c === '"') break;
      if (c === "\\") {
        const e = this.src[this.pos++];
        text += e === "n" ? "\n" : e === "t" ? "\t" : e;
      } else if (c === "$" && this.src[this.pos] === "{") {
        this.pos++;
        if (text) parts.push(text);
        text = "";
        this.lenient++;
        parts.push(this.expr());
        this.skip(true);
        this.expect("}");
        this.lenient--;
      } else text += c;
    }
    if (text || parts.length === 0) parts.push(text);
    return parts.every((p) => typeof p === "string") ? { kind: "literal", value: parts.join("") } : { kind: "template", parts };
  }

  private plainString(): string {
    const e = this.template();
    if (e.kind !== "literal") throw this.error("expected a plain string");
    return String(e.value);
  }

  private heredoc(): Expr {
    const m = /^<<-?([A-Za-z_]\w*)\n([\s\S]*?)\n\s*\1(?=\n|$)/.exec(this.src.slice(this.pos));
    if (!m) throw this.error("bad heredoc");
    this.pos += m[0].length;
    return { kind: "literal", value: m[2] };
  }

  /** Skips a bracketed run as text, minding strings; returns it. */
  private balanced(): string {
    const start = this.pos;
    let depth = 0;
    do {
      const c = this.src[this.pos];
      if (c === undefined) throw this.error("unbalanced brackets");
      if (c === '"') {
        this.template();
        continue;
      }
      if ("([{".includes(c)) depth++;
      if (")]}".includes(c)) depth--;
      this.pos++;
    } while (depth > 0);
    return this.src.slice(start, this.pos);
  }

  private ident(): string {
    const m = /^[A-Za-z_][\w-]*/.exec(this.src.slice(this.pos));
    if (!m) throw this.error("expected a name");
    this.pos += m[0].length;
    return m[0];
  }

  /** Skips spaces and comments, and newlines too when `newlines` (or inside brackets). */
  private skip(newlines: boolean): void {
    for (;;) {
      const rest = this.src.slice(this.pos);
      const m = (newlines || this.lenient > 0 ? /^(\s+|#[^\n]*|\/\/[^\n]*|\/\*[\s\S]*?\*\/)/ : /^([ \t\r]+|#[^\n]*|\/\/[^\n]*|\/\*[\s\S]*?\*\/)/).exec(rest);
      if (!m) return;
      this.pos += m[0].length;
    }
  }

  private peek(): string {
    return this.src[this.pos] ?? "";
  }

  private expect(c: string): void {
    if (this.peek() !== c) throw this.error(`expected ${c}`);
    this.pos++;
  }

  private error(message: string): Error {
    const line = this.src.slice(0, this.pos).split("\n").length;
    return new Error(`deploy/terraform (joined .tf files), line ${line}: ${message}`);
  }
}
