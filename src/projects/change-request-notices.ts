// The notices a change request sends when it is opened and when it is approved: rendered once, in
// the formats that may subscribe (outbound/formats/change-request.ts), and created as deliveries
// through the delivery machine's own rules (deliveries/lifecycle.ts createdForAnnouncement).
import type { Announcement } from "../deliveries/lifecycle";
import type { Actor } from "../kernel/app-env";
import type { NamedRef } from "../outbound/bodies";
import { renderChangeRequestNotice, type ChangeRequestEvent, type ChangeRequestNotice } from "../outbound/formats/change-request";
import type { ChangeRequestRow } from "./change-requests";
import type { DryRunEvent } from "./dry-run";

export interface NoticeScope {
  orgId: string;
  project: NamedRef;
  flag: NamedRef;
  environment: NamedRef;
}

export function requestAnnouncement(event: ChangeRequestEvent, scope: NoticeScope, row: ChangeRequestRow, approvedBy: Actor | null, now: number): Announcement {
  const preview = JSON.parse(row.preview) as DryRunEvent[];
  const notice: ChangeRequestNotice = {
    noticeId: crypto.randomUUID(),
    event,
    timestamp: new Date(now).toISOString(),
    project: scope.project,
    flag: scope.flag,
    environment: scope.environment,
    changeRequest: {
      id: row.id,
      comment: row.comment,
      apply_at: row.applyAt === null ? null : new Date(row.applyAt).toISOString(),
      base_version: row.baseVersion,
    },
    proposedBy: { id: row.createdById, email: row.createdByEmail },
    approvedBy,
    changes: preview.flatMap((e) => e.changes),
    codeLikeBefore: preview[0]?.code_like_before ?? "",
    codeLikeAfter: preview[preview.length - 1]?.code_like_after ?? "",
  };
  return {
    orgId: scope.orgId,
    projectId: scope.project.id,
    event,
    envKey: scope.environment.key,
    bodies: { rollgate: renderChangeRequestNotice("rollgate", notice), slack: renderChangeRequestNotice("slack", notice) },
    now,
  };
}
