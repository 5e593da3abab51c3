// STR_REGEXP / STR_NOT_REGEXP patterns, matched in time linear in the input (CONTRACT.md v1.2,
// "Limits, round two"). Pure.
//
// tggl-core (and so every Tggl SDK) reads a pattern as `new RegExp(value)`: JavaScript syntax, no
// flags, matched on UTF-16 code units by a backtracking engine, where `^(a+)+$` takes minutes on 31
// characters. Flagpost matches with RE2 (re2js) instead, which never backtracks. The two engines
// read some syntax differently, so a pattern is accepted only in a subset of JavaScript's syntax
// whose meaning this module can write out exactly in RE2's: what JavaScript means by `.`, `\s`
// and a character class is spelled out member by member, and the input's UTF-16 code units are
// handed to RE2 one code point each. A pattern outside the subset (lookarounds, backreferences,
// escapes whose meaning differs, characters outside the Basic Multilingual Plane) is refused on
// write, so Flagpost and tggl-core never disagree on one that was accepted.
import { RE2JS } from "re2js";
import { translatePattern } from "./pattern-syntax";

export const MAX_PATTERN_LENGTH = 256;
/**
 * The most instructions a pattern's RE2 program may have. Matching costs about 1.3 ns a character
 * for each; counted repetitions multiply them (`[a]{1,1000}[a]{1,1000}` has 4,002).
 */
export const MAX_PROGRAM_SIZE = 1000;

/** Why a pattern cannot be stored, in words fit for a 400's details; null when it can. */
export function patternProblem(pattern: string): string | null {
  if (pattern.length > MAX_PATTERN_LENGTH) return `a pattern is at most ${MAX_PATTERN_LENGTH} characters (this one has ${pattern.length})`;
  try {
    new RegExp(pattern);
  } catch {
    return "not a valid regular expression";
  }
  const translated = translatePattern(pattern);
  if (!translated.ok) return translated.reason;
  let size: number;
  try {
    size = RE2JS.compile(translated.re2).programSize();
  } catch {
    return "the pattern is too complex to match in linear time; simplify it";
  }
  if (size > MAX_PROGRAM_SIZE)
    return `the pattern is too complex: its repetitions expand to ${size} steps, at most ${MAX_PROGRAM_SIZE}; use smaller {min,max} counts`;
  return null;
}

/** A stored pattern compiled for matching; null for one this module refuses (stored before it did). */
export type CompiledPattern = RE2JS | null;

const compiled = new Map<string, CompiledPattern>();
const MAX_COMPILED = 10_000;

export function compilePattern(pattern: string): CompiledPattern {
  let re = compiled.get(pattern);
  if (re !== undefined) return re;
  const translated = pattern.length <= MAX_PATTERN_LENGTH ? translatePattern(pattern) : null;
  re = null;
  if (translated?.ok) {
    try {
      re = RE2JS.compile(translated.re2);
    } catch {
      re = null;
    }
  }
  if (compiled.size >= MAX_COMPILED) compiled.clear();
  compiled.set(pattern, re);
  return re;
}

const SURROGATE = /[\ud800-\udfff]/;
const SURROGATES = /[\ud800-\udfff]/g;

/**
 * Whether `pattern` matches somewhere in `value`, as `new RegExp(pattern).test(value)` answers for
 * every pattern `patternProblem` accepts. JavaScript matches code units, RE2 code points: each
 * surrogate code unit is handed to RE2 as a code point of its own (U+F0000 + its offset), which
 * an accepted pattern (BMP characters only) can match only through `.`, a negated class or a
 * negated escape, exactly as JavaScript matches a lone code unit. A pattern stored before it was
 * checked, and outside the subset, matches nothing.
 */
export function matchesPattern(re: CompiledPattern, value: string): boolean {
  if (re === null) return false;
  const input = SURROGATE.test(value) ? value.replace(SURROGATES, (u) => String.fromCodePoint(0xf0000 + u.charCodeAt(0) - 0xd800)) : value;
  return re.test(input);
}
