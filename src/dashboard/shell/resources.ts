// The API's resources as the dashboard reads them: the API's own exported types, never redeclared.
import type { z } from "@hono/zod-openapi";
import type { ChangeLogEntrySchema } from "../../events/routes";
import type { ProjectSchema } from "../../projects/routes";
import type { CreatedSdkKeySchema, SdkKeySchema } from "../../sdk-keys/routes";
import type { EventTypeSchema } from "../../webhooks/receiver-schemas";
import type { Attempt, Delivery, RecoverResultSchema, WebhookHealthSchema, WebhookStatsSchema } from "../../webhooks/schemas";

export type { Flag, FlagState, Variation } from "../../flags/model";
export type { Attempt, Delivery, Webhook } from "../../webhooks/schemas";
export type { RotatedSecret, VerifyResult } from "../../webhooks/receiver-schemas";
export type EventType = z.infer<typeof EventTypeSchema>;
export type SdkKey = z.infer<typeof SdkKeySchema>;
export type WebhookHealth = z.infer<typeof WebhookHealthSchema>;
export type WebhookStats = z.infer<typeof WebhookStatsSchema>;
export type RecoverResult = z.infer<typeof RecoverResultSchema>;
export type CreatedSdkKey = z.infer<typeof CreatedSdkKeySchema>;
export type Project = z.infer<typeof ProjectSchema>;
export type Environment = Project["environments"][number];
export type ChangeLogEntry = z.infer<typeof ChangeLogEntrySchema>;
export type DeliveryDetail = Delivery & { attempts: Attempt[] };
export type TestResult = { success: boolean; status_code: number | null; response_time_ms: number };

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** A live API key as GET /me/api-keys lists it (auth/routes.ts does not export its schema). */
export interface ApiKeySummary {
  id: string;
  name: string | null;
  created_at: string;
}

export interface Me {
  user: { id: string; email: string; name: string | null };
  org: { id: string; name: string };
}
