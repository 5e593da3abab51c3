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

/**
 * Where a change came from, beside who made it: the change log shows it with the change. A person's
 * write may carry a comment; a schedule or an approved change request names itself.
 */
export interface ChangeOrigin {
  comment?: string;
  schedule_id?: string;
  change_request_id?: string;
  approved_by?: Actor;
}
