import type { DrizzleD1Database } from "drizzle-orm/d1";

export interface Principal {
  user: { id: string; email: string; name: string | null };
  org: { id: string; name: string };
}
export type AppEnv = { Bindings: Env; Variables: { principal: Principal; requestId: string; bookmark?: string } };
export type Db = DrizzleD1Database<Record<string, never>>;
export interface Actor {
  id: string;
  email: string;
}
