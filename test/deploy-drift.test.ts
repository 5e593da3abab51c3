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
  /** Each .tf file's text, and the same file in HCL's JSON form. */
  terraform: Record<string, string>;
  terraformJson: Record<string, HclJson>;
}

const files = JSON.parse(env.DEPLOY_FILES) as DeployFiles;
const wrangler = parseToml(files.wrangler) as WranglerEnv & { env?: Record<string, WranglerEnv> };
const production = productionEnv();
let terraform: TerraformModule;
let script: Block;

beforeAll(() => {
  terraform = new TerraformModule(Object.values(files.terraformJson));
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
    // test/faults/fault-routes.ts opens its routes (and its faulty queue sender) only when FAULT_INJECTION is "true";
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
    // coalesce(var.bundle_path, "${path.module}/../../dist/index.js"): a function, kept as written.
    expect(terraform.locals.bundle_path).toMatch(/\/dist\/index\.js"\)\}$/);
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
  "kv_namespaces",
  "r2_buckets",
  "services",
  "ai",
  "analytics_engine_datasets",
  "hyperdrive",
  "vectorize",
  "workflows",
  "unsafe",
  "send_email",
  "browser",
  "images",
  "version_metadata",
  "dispatch_namespaces",
  "mtls_certificates",
  "pipelines",
  "secrets_store_secrets",
  "worker_loaders",
  "tail_consumers",
] as const;

function wranglerBindings(e: WranglerEnv): string[] {
  return sorted([
    ...(e.d1_databases ?? []).map((d) => `d1 ${d.binding} database=${d.database_name}`),
    ...(e.durable_objects?.bindings ?? []).map(
      (d) => `durable_object_namespace ${d.name} class=${d.class_name}${d.script_name ? ` script=${d.script_name}` : ""}`,
    ),
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
  const bindings = script.attrs.bindings as Record<string, unknown>[];
  return sorted(
    bindings.map((raw) => {
      const b = terraform.eval(raw) as Record<string, unknown>;
      switch (b.type) {
        case "d1":
          // The id is computed; follow the reference to the database resource and compare its name.
          return `d1 ${b.name} database=${terraform.eval(terraform.follow(raw.id, "name"))}`;
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

// ---- The module as HCL's JSON form (parsed by @cdktf/hcl2json in vitest.config.ts) ----
// In that form every expression is a string: "${var.name}-deliveries", "${cloudflare_queue.x.id}".
// Evaluation resolves var.* to its default, local.* and resource attributes written in the module;
// what only Cloudflare knows (an id) or what needs a function stays unresolved, and `follow` turns a
// reference into the attribute of the resource it points at.

type HclJson = Record<string, unknown>;

interface Block {
  name: string;
  attrs: Record<string, unknown>;
}

class Unresolved {
  constructor(readonly text: string) {}
}

/** `${a.b.c}` alone, as the path it refers to; null for any other expression. */
function referenceOf(value: unknown): string[] | null {
  const m = typeof value === "string" ? /^\$\{([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)+)\}$/.exec(value) : null;
  return m ? m[1].split(".") : null;
}

class TerraformModule {
  readonly locals: Record<string, unknown> = {};
  readonly outputs: Record<string, unknown> = {};
  private readonly variables: Record<string, unknown> = {};
  private readonly blocks: Record<string, Block[]> = {};

  constructor(files: HclJson[]) {
    for (const file of files) {
      for (const locals of (file.locals ?? []) as Record<string, unknown>[]) Object.assign(this.locals, locals);
      for (const [name, [v]] of Object.entries((file.variable ?? {}) as Record<string, Record<string, unknown>[]>)) this.variables[name] = v.default;
      for (const [name, [o]] of Object.entries((file.output ?? {}) as Record<string, Record<string, unknown>[]>)) this.outputs[name] = o.value;
      for (const [type, named] of Object.entries((file.resource ?? {}) as Record<string, Record<string, Record<string, unknown>[]>>)) {
        this.blocks[type] ??= [];
        for (const [name, [attrs]] of Object.entries(named)) this.blocks[type].push({ name, attrs });
      }
    }
  }

  resources(type: string): Block[] {
    return this.blocks[type] ?? [];
  }

  resource(type: string): Block {
    const found = this.resources(type);
    if (found.length !== 1) throw new Error(`expected one ${type} in deploy/terraform, found ${found.length}`);
    return found[0];
  }

  /** The attribute `attr` of the resource that `value` refers to (as in `${cloudflare_queue.x.id}`). */
  follow(value: unknown, attr: string): unknown {
    const path = referenceOf(value);
    if (!path) throw new Error(`expected a reference to a resource, got ${JSON.stringify(value)}`);
    const block = this.resources(path[0]).find((b) => b.name === path[1]);
    if (!block) throw new Error(`no resource ${path[0]}.${path[1]} in deploy/terraform`);
    return block.attrs[attr];
  }

  eval(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.eval(v));
    if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.eval(v)]));
    if (typeof value !== "string" || !value.includes("${")) return value;
    const path = referenceOf(value);
    if (path) return this.evalRef(path);
    // A template: each ${reference} in it resolved, or the whole is unresolved.
    let unresolved = false;
    const text = value.replace(/\$\{([^${}]*)\}/g, (_whole, inner: string) => {
      const ref = referenceOf(`\${${inner.trim()}}`);
      const v = ref ? this.evalRef(ref) : undefined;
      if (v === undefined || v === null || v instanceof Unresolved || typeof v === "object") unresolved = true;
      return String(v);
    });
    return unresolved ? new Unresolved(value) : text;
  }

  private evalRef([root, ...rest]: string[]): unknown {
    if (root === "var") return this.eval(this.variables[rest[0]]);
    if (root === "local") return this.eval(this.locals[rest[0]]);
    const block = this.resources(root).find((b) => b.name === rest[0]);
    const attr = block?.attrs[rest[1]];
    return attr === undefined ? new Unresolved([root, ...rest].join(".")) : this.eval(attr);
  }
}
