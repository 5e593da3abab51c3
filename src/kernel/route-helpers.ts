import { AppError } from "./errors";
import { decodeCursor } from "./schemas";

export function cursorOrThrow(cursor: string | undefined): number | null {
  const after = decodeCursor(cursor);
  if (after === -1) throw new AppError("validation_failed", "request validation failed", [{ field: "cursor", message: "not a cursor this API gave" }]);
  return after;
}
