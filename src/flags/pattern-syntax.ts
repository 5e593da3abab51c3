// The syntax half of flags/pattern.ts: a JavaScript pattern (no flags, as tggl-core reads it) written
// out in RE2's syntax with the same meaning, or the reason it cannot be. Pure. What JavaScript means
// by `.`, `\s` and a character class is spelled out member by member; captures become plain
// groups (they do not change whether a pattern matches). Anything whose meaning the two engines
// could read differently is refused rather than guessed at.

/** RE2's own bound on a counted repetition. */
const MAX_REPEAT = 1000;

export type Translation = { ok: true; re2: string } | { ok: false; reason: string };

class Refusal extends Error {}

/** JavaScript's `\s` (WhiteSpace and LineTerminator), as RE2 class members. */
const JS_SPACE = "\\x{9}-\\x{d}\\x{20}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}\\x{feff}";
/** JavaScript's `.` without flags: any code unit but a line terminator. */
const JS_DOT = "[^\\x{a}\\x{d}\\x{2028}\\x{2029}]";
/** `\S` met inside a class: written out by the class, which RE2 cannot nest a complement in. */
const NON_SPACE = "\\S";
const CONTROL_ESCAPES: Record<string, number> = { t: 9, n: 10, v: 11, f: 12, r: 13 };
const RE2_SPECIAL = new Set("\\.+*?()|[]{}^$".split(""));

/** The RE2 pattern that means what `new RegExp(pattern)` means, or why there is none. */
export function translatePattern(pattern: string): Translation {
  try {
    const parser = new Parser(pattern);
    const re2 = parser.disjunction();
    if (parser.pos < pattern.length) parser.refuse(`unbalanced ")" at position ${parser.pos + 1}`);
    return { ok: true, re2 };
  } catch (err) {
    if (err instanceof Refusal) return { ok: false, reason: err.message };
    throw err;
  }
}

class Parser {
  pos = 0;
  constructor(readonly src: string) {}

  refuse(message: string): never {
    throw new Refusal(message);
  }

  private peek(offset = 0): string {
    return this.src[this.pos + offset] ?? "";
  }

  disjunction(): string {
    const alternatives = [this.alternative()];
    while (this.peek() === "|") {
      this.pos++;
      alternatives.push(this.alternative());
    }
    return alternatives.join("|");
  }

  private alternative(): string {
    let out = "";
    while (this.pos < this.src.length && this.peek() !== "|" && this.peek() !== ")") out += this.term();
    return out;
  }

  private term(): string {
    const ch = this.peek();
    if (ch === "^" || ch === "$") {
      this.pos++;
      return this.noQuantifier(ch);
    }
    if (ch === "\\" && (this.peek(1) === "b" || this.peek(1) === "B")) {
      this.pos += 2;
      return this.noQuantifier(`\\${this.src[this.pos - 1]}`);
    }
    return this.atom() + this.quantifier();
  }

  private noQuantifier(assertion: string): string {
    if ("*+?{".includes(this.peek()) && this.peek() !== "") this.refuse(`a quantifier cannot follow the assertion ${assertion}`);
    return assertion;
  }

  private atom(): string {
    const ch = this.peek();
    if (ch === "(") return this.group();
    if (ch === "[") return this.characterClass();
    if (ch === ".") {
      this.pos++;
      return JS_DOT;
    }
    if (ch === "\\") return this.atomEscape();
    if ("*+?".includes(ch)) this.refuse(`nothing to repeat at position ${this.pos + 1}`);
    if (ch === "{") this.refuse(`write a literal "{" as \\{ (position ${this.pos + 1})`);
    this.pos++;
    return literal(this.codeUnit(ch));
  }

  private group(): string {
    this.pos++;
    if (this.peek() === "?") {
      if (this.peek(1) === ":") this.pos += 2;
      else if (this.peek(1) === "<" && this.peek(2) !== "=" && this.peek(2) !== "!") {
        const end = this.src.indexOf(">", this.pos);
        if (end < 0) this.refuse("an unterminated group name");
        this.pos = end + 1;
      } else this.refuse("lookahead and lookbehind assertions ((?=, (?!, (?<=, (?<!) cannot be matched in linear time");
    }
    const inner = this.disjunction();
    if (this.peek() !== ")") this.refuse("a group is not closed");
    this.pos++;
    // Captures do not change whether a pattern matches; RE2 need not keep them.
    return `(?:${inner})`;
  }

  private quantifier(): string {
    let q = "";
    const ch = this.peek();
    if (ch === "*" || ch === "+" || ch === "?") {
      this.pos++;
      q = ch;
    } else if (ch === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
      if (!m) this.refuse(`write a literal "{" as \\{ (position ${this.pos + 1})`);
      const min = Number(m[1]);
      const max = m[3] === undefined || m[3] === "" ? null : Number(m[3]);
      if (min > MAX_REPEAT || (max !== null && max > MAX_REPEAT)) this.refuse(`a counted repetition is at most {${MAX_REPEAT}}`);
      if (max !== null && max < min) this.refuse("numbers out of order in a {min,max} repetition");
      this.pos += m[0].length;
      q = m[2] === undefined ? `{${min}}` : `{${min},${max ?? ""}}`;
    } else return "";
    if (this.peek() === "?") {
      this.pos++;
      q += "?";
    }
    if ("*+?{".includes(this.peek()) && this.peek() !== "") this.refuse(`nothing to repeat at position ${this.pos + 1}`);
    return q;
  }

  private atomEscape(): string {
    const next = this.peek(1);
    if ("dDwW".includes(next) && next !== "") {
      this.pos += 2;
      return `\\${next}`;
    }
    if (next === "s") {
      this.pos += 2;
      return `[${JS_SPACE}]`;
    }
    if (next === "S") {
      this.pos += 2;
      return `[^${JS_SPACE}]`;
    }
    return literal(this.characterEscape(false));
  }

  /** An escape that stands for one code unit; the backslash is at `pos`. */
  private characterEscape(inClass: boolean): number {
    const next = this.peek(1);
    if (next === "") this.refuse("a pattern cannot end with a backslash");
    if (next in CONTROL_ESCAPES) {
      this.pos += 2;
      return CONTROL_ESCAPES[next];
    }
    if (inClass && next === "b") {
      this.pos += 2;
      return 8;
    }
    if (next === "0" && !/[0-9]/.test(this.peek(2))) {
      this.pos += 2;
      return 0;
    }
    if (/[0-9]/.test(next))
      this.refuse(inClass ? "octal escapes (\\1 and the like) are not supported" : "backreferences (\\1 and the like) cannot be matched in linear time");
    if (next === "x" || next === "u") {
      const digits = next === "x" ? 2 : 4;
      const hex = this.src.slice(this.pos + 2, this.pos + 2 + digits);
      if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) this.refuse(`\\${next} takes exactly ${digits} hexadecimal digits`);
      this.pos += 2 + digits;
      return this.checkedUnit(parseInt(hex, 16));
    }
    if (next === "c" && /[a-zA-Z]/.test(this.peek(2))) {
      this.pos += 3;
      return this.src.charCodeAt(this.pos - 1) % 32;
    }
    if (/[!-/:-@[-`{-~]/.test(next)) {
      this.pos += 2;
      return next.charCodeAt(0);
    }
    this.refuse(`the escape \\${next} is not supported (it means different things to different engines)`);
  }

  private codeUnit(ch: string): number {
    return this.checkedUnit(ch.charCodeAt(0));
  }

  private checkedUnit(unit: number): number {
    if (unit >= 0xd800 && unit <= 0xdfff) this.refuse("characters outside the Basic Multilingual Plane (emoji and the like) are not supported in patterns");
    return unit;
  }

  private characterClass(): string {
    this.pos++;
    let negated = false;
    if (this.peek() === "^") {
      negated = true;
      this.pos++;
    }
    if (this.peek() === "]") this.refuse(negated ? "[^] is not supported; use [\\s\\S]" : "an empty class [] never matches; remove it");
    let members = "";
    let nonSpace = false;
    while (this.peek() !== "]") {
      if (this.pos >= this.src.length) this.refuse("a character class is not closed");
      const start = this.classAtom();
      if (start === NON_SPACE) {
        if (negated) this.refuse("\\S inside a negated class is not supported");
        nonSpace = true;
      } else if (this.peek() === "-" && this.peek(1) !== "]" && this.peek(1) !== "") {
        if (typeof start === "string") this.refuse("a range cannot start or end with a class escape like \\d");
        this.pos++;
        const end = this.classAtom();
        if (typeof end === "string") this.refuse("a range cannot start or end with a class escape like \\d");
        if (end < start) this.refuse("a range out of order in a character class");
        members += `${hexUnit(start)}-${hexUnit(end)}`;
      } else members += typeof start === "string" ? start : hexUnit(start);
    }
    this.pos++;
    // RE2 cannot put a complement inside a class: [a\S] is (?:[a]|[^<JavaScript's spaces>]).
    if (nonSpace) return members === "" ? `[^${JS_SPACE}]` : `(?:[${members}]|[^${JS_SPACE}])`;
    return `[${negated ? "^" : ""}${members}]`;
  }

  /** One class member: a code unit, or the RE2 members of a class escape. */
  private classAtom(): number | string {
    const ch = this.peek();
    if (ch !== "\\") {
      this.pos++;
      return this.codeUnit(ch);
    }
    const next = this.peek(1);
    if ("dDwW".includes(next) && next !== "") {
      this.pos += 2;
      return `\\${next}`;
    }
    if (next === "s") {
      this.pos += 2;
      return JS_SPACE;
    }
    if (next === "S") {
      this.pos += 2;
      return NON_SPACE;
    }
    if (next === "-") {
      this.pos += 2;
      return 0x2d;
    }
    return this.characterEscape(true);
  }
}

function hexUnit(unit: number): string {
  return `\\x{${unit.toString(16)}}`;
}

function literal(unit: number): string {
  const ch = String.fromCharCode(unit);
  if (RE2_SPECIAL.has(ch)) return `\\${ch}`;
  return unit >= 0x21 && unit <= 0x7e ? ch : hexUnit(unit);
}
