// The evaluation routes' small readers: JSON depth before parsing, If-None-Match, the context hash.
import { describe, expect, it } from "vitest";
import { jsonDepthExceeds } from "../src/kernel/json";
import { hashText, ifNoneMatch } from "../src/serve/request";

describe("jsonDepthExceeds, read on the text before parsing", () => {
  it.each([
    ["{}", 1],
    ['{"context":{}}', 2],
    ['{"a":[1,[2,{"b":3}]]}', 4],
    ['{"a":"[[[[{{{{"}', 1],
    ['{"a":"\\"[[[["}', 1],
    ['{"a":"\\\\","b":[[]]}', 3],
    ["[".repeat(40) + "]".repeat(40), 40],
    ["5", 0],
  ])("%s → %i", (text, depth) => {
    expect(jsonDepthExceeds(text, depth)).toBe(false);
    if (depth > 0) expect(jsonDepthExceeds(text, depth - 1)).toBe(true);
    if (depth <= 32) expect(() => JSON.parse(text)).not.toThrow();
  });
});

describe("ifNoneMatch", () => {
  const etag = '"7-abc-xyz"';
  it.each([
    [undefined, false],
    ["*", true],
    ['"7-abc-xyz"', true],
    ['W/"7-abc-xyz"', true],
    ['"other", "7-abc-xyz"', true],
    ['"other"', false],
  ])("%s → %s", (header, matches) => {
    expect(ifNoneMatch(header, etag)).toBe(matches);
  });

  it.each(["abc", '"unterminated', "W/abc", '"a" "b"', ","])("refuses %s", (header) => {
    expect(() => ifNoneMatch(header, etag)).toThrow(/If-None-Match/);
  });
});

describe("hashText", () => {
  it("is stable and tells contexts apart", () => {
    expect(hashText('{"a":1}')).toBe(hashText('{"a":1}'));
    expect(hashText('{"a":1}')).not.toBe(hashText('{"a":2}'));
  });
});
