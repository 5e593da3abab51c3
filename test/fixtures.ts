// Plain-data flags for the pure modules' table tests: a boolean flag with Live / Off in two environments,
// every piece overridable. Nothing here touches bindings.
import type { Condition, Flag, FlagState, Rule, Variation } from "../src/flags/model";
import type { Environment } from "../src/kernel/project-scope";

export const LIVE: Variation = { id: "var-live", name: "Live", description: "", color: "#22c55e", active: true, value: true, order: 0 };
export const OFF: Variation = { id: "var-off", name: "Off", description: "", color: "#ef4444", active: false, value: false, order: 1 };

export const DEVELOPMENT: Environment = { id: "env-dev", key: "development", name: "development" };
export const PRODUCTION: Environment = { id: "env-prod", key: "production", name: "production" };
export const ENVIRONMENTS: Environment[] = [DEVELOPMENT, PRODUCTION];

/** A new state as the contract describes it: disabled, 100% rollout of Live, default Off. */
export function buildState(overrides: Partial<FlagState> = {}): FlagState {
  return { enabled: false, rollout_percentage: 100, rollout_variation_id: LIVE.id, conditions: [], default_variation_id: OFF.id, version: 1, ...overrides };
}

export function buildFlag(overrides: Partial<Flag> = {}): Flag {
  return {
    id: "flag-1",
    key: "new-checkout",
    name: "New Checkout Flow",
    description: "",
    type: "boolean",
    tags: [],
    variations: [LIVE, OFF],
    archived: false,
    sharing: { share_with_everyone: true, roles: [] },
    version: 1,
    environments: { development: buildState(), production: buildState() },
    created_at: "2026-01-25T12:00:00Z",
    updated_at: "2026-01-25T12:00:00Z",
    ...overrides,
  };
}

/** `flag` with its state in `envKey` overridden (the other environments untouched). */
export function withState(flag: Flag, envKey: string, overrides: Partial<FlagState>): Flag {
  return { ...flag, environments: { ...flag.environments, [envKey]: { ...flag.environments[envKey], ...overrides } } };
}

export function buildCondition(overrides: Partial<Condition> = {}): Condition {
  return { id: "cond-1", name: "Beta users", variation_id: LIVE.id, rules: [userIdIsOneOf("rule-1", ["foo", "bar"])], ...overrides };
}

export function userIdIsOneOf(id: string, values: string[]): Rule {
  return { id, property: "userId", operator: "STR_EQUALS", values };
}
