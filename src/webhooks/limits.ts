// The caps on webhooks (CONTRACT.md, "Limits and refusals"): one change fans out to at most 100
// webhooks of a project plus 100 of its organization, each sending at most 8 KiB of custom headers,
// so one toggle cannot be turned into a flood at a third party. Beyond a cap: 422 limit_exceeded,
// with `details.limit` naming it.
import { AppError } from "../kernel/errors";

export const MAX_WEBHOOKS_PER_SCOPE = 100;
export const MAX_CUSTOM_HEADERS = 20;
export const MAX_CUSTOM_HEADER_BYTES = 8 * 1024;
export const MAX_CUSTOM_HEADER_NAME_LENGTH = 256;

export function limitExceeded(limit: string, max: number, message: string): AppError {
  return new AppError("limit_exceeded", message, { limit, max });
}

/** Throws when custom headers go beyond a cap (their validity is the schema's business). */
export function checkHeaderLimits(headers: Record<string, string>): void {
  const entries = Object.entries(headers);
  if (entries.length > MAX_CUSTOM_HEADERS)
    throw limitExceeded("custom_headers", MAX_CUSTOM_HEADERS, `a webhook has at most ${MAX_CUSTOM_HEADERS} custom headers`);
  const long = entries.find(([name]) => name.length > MAX_CUSTOM_HEADER_NAME_LENGTH);
  if (long)
    throw limitExceeded(
      "custom_header_name_length",
      MAX_CUSTOM_HEADER_NAME_LENGTH,
      `custom header names have at most ${MAX_CUSTOM_HEADER_NAME_LENGTH} characters`,
    );
  const encoder = new TextEncoder();
  const bytes = entries.reduce((n, [name, value]) => n + encoder.encode(name).byteLength + encoder.encode(value).byteLength, 0);
  if (bytes > MAX_CUSTOM_HEADER_BYTES)
    throw limitExceeded("custom_header_bytes", MAX_CUSTOM_HEADER_BYTES, `custom header names and values hold at most ${MAX_CUSTOM_HEADER_BYTES} bytes in all`);
}

export function scopeLimitExceeded(projectScoped: boolean): AppError {
  return projectScoped
    ? limitExceeded("webhooks_per_project", MAX_WEBHOOKS_PER_SCOPE, `a project has at most ${MAX_WEBHOOKS_PER_SCOPE} webhooks`)
    : limitExceeded("webhooks_per_organization", MAX_WEBHOOKS_PER_SCOPE, `an organization has at most ${MAX_WEBHOOKS_PER_SCOPE} webhooks of its own`);
}
