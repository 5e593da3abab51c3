import type { Environment } from "../kernel/project-scope";

// The flag domain as the pure modules see it: plain data, the exact shapes of the public API.
// Zod schemas in schemas.ts validate input into these shapes; diff.ts and code-like.ts compute on them.

export const FLAG_TYPES = ["boolean", "string", "number", "json"] as const;
export type FlagType = (typeof FLAG_TYPES)[number];

/** Operators that take `values` (a list). */
export const LIST_OPERATORS = [
  "STR_EQUALS",
  "STR_NOT_EQUALS",
  "STR_STARTS_WITH",
  "STR_NOT_STARTS_WITH",
  "STR_ENDS_WITH",
  "STR_NOT_ENDS_WITH",
  "STR_CONTAINS",
  "STR_NOT_CONTAINS",
  "SELECT_EQUALS",
  "SELECT_NOT_EQUALS",
  "ARR_OVERLAP",
  "ARR_NOT_OVERLAP",
] as const;
/** Operators that take one `value`. */
export const VALUE_OPERATORS = [
  "NUM_EQUALS",
  "NUM_NOT_EQUALS",
  "NUM_GT",
  "NUM_GTE",
  "NUM_LT",
  "NUM_LTE",
  "DATE_AFTER",
  "DATE_BEFORE",
  "DATE_IS",
  "SEMVER_IS",
  "SEMVER_GTE",
  "SEMVER_LTE",
  "STR_BEFORE",
  "STR_AFTER",
  "STR_REGEXP",
  "STR_NOT_REGEXP",
] as const;
/** Operators that take nothing. */
export const BARE_OPERATORS = ["IS_TRUE", "IS_FALSE", "IS_EMPTY", "IS_NOT_EMPTY"] as const;
export const PERCENTAGE_OPERATOR = "PERCENTAGE" as const;

export type ListOperator = (typeof LIST_OPERATORS)[number];
export type ValueOperator = (typeof VALUE_OPERATORS)[number];
export type BareOperator = (typeof BARE_OPERATORS)[number];
export type Operator = ListOperator | ValueOperator | BareOperator | typeof PERCENTAGE_OPERATOR;

export type Rule =
  | { id: string; property: string; operator: ListOperator; values: string[] }
  | { id: string; property: string; operator: ValueOperator; value: string | number }
  | { id: string; property: string; operator: BareOperator }
  | { id: string; property: string; operator: "PERCENTAGE"; range_start: number; range_end: number; seed?: number };

export interface Condition {
  id: string;
  name: string;
  variation_id: string;
  rules: Rule[];
}

export interface Variation {
  id: string;
  name: string;
  description: string;
  color: string;
  active: boolean;
  value: unknown;
  order: number;
}

export interface FlagState {
  enabled: boolean;
  rollout_percentage: number;
  rollout_variation_id: string;
  conditions: Condition[];
  default_variation_id: string;
  version: number;
}

export interface Sharing {
  share_with_everyone: boolean;
  roles: string[];
}

export interface Flag {
  id: string;
  key: string;
  name: string;
  description: string;
  type: FlagType;
  tags: string[];
  variations: Variation[];
  archived: boolean;
  sharing: Sharing;
  version: number;
  /** Keyed by environment key. */
  environments: Record<string, FlagState>;
  created_at: string;
  updated_at: string;
}

export const ROLLGATE_EVENTS = ["flag.created", "flag.updated", "flag.deleted", "flag.toggled", "flag_state.updated"] as const;
export type RollgateEvent = (typeof ROLLGATE_EVENTS)[number];

/** One of Tggl's typed changes (`__typename` plus exactly Tggl's fields); built by diff.ts. */
export type TgglChange = { __typename: string } & Record<string, unknown>;

/**
 * One event that a flag change produces, before it is addressed to webhooks.
 * `environment` is null for flag-level events (flag.created / flag.updated / flag.deleted).
 */
export interface ChangeEvent {
  event: RollgateEvent;
  environment: Environment | null;
  /** The flag's `enabled` in that environment (flag-level events: the rendered environment). */
  enabled: boolean;
  changes: TgglChange[];
  code_like_before: string;
  code_like_after: string;
}
