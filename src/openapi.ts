// Small builders for route descriptions: a JSON request body, a JSON answer, the error answers.
import type { z } from "@hono/zod-openapi";
import { ErrorSchema } from "./schemas";

export const jsonBody = <T extends z.ZodType>(schema: T) => ({ content: { "application/json": { schema } }, required: true });

export const jsonAnswer = <T extends z.ZodType>(description: string, schema: T) => ({ description, content: { "application/json": { schema } } });

export const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, jsonAnswer("error", ErrorSchema)]));
