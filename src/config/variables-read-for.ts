/**
 * Which environment variables a config file reads for one field, from its text: the file is
 * evaluated before webpig sees it, so an `undefined` secret cannot say where it came from, but
 * `secrets: [process.env.SHOP_WEBHOOK_SECRET!]` says it in the source. Also one step through a
 * constant: `const secret = process.env.X;` … `secrets: [secret]`. A heuristic on purpose: it
 * only narrows which unset variables a message names; when it finds none, none are named.
 */

const ENV_READ = /process\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*['"]([^'"]+)['"]\s*\])/g;
const OPENERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** The variables `process.env.NAME` / `process.env['NAME']` in `text`. */
function envReadsIn(text: string): string[] {
  return [...text.matchAll(ENV_READ)].map((match) => (match[1] ?? match[2])!);
}

/** The text without comments (a `//` right after `:` is a URL's, kept). */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:'"\\])\/\/.*$/gm, '$1');
}

/**
 * The expression that starts at `from`: up to a `,`, `;` or closing bracket outside any
 * bracket or string of its own (`stopAtNewline`: also a line's end, for `const x = …`).
 */
function expressionAt(text: string, from: number, stopAtNewline: boolean): string {
  const closers: string[] = [];
  for (let at = from; at < text.length; at++) {
    const char = text[at]!;
    if (char === '"' || char === "'" || char === '`') {
      at = endOfString(text, at);
    } else if (OPENERS[char]) {
      closers.push(OPENERS[char]);
    } else if (closers.length > 0) {
      if (char === closers.at(-1)) closers.pop();
    } else if (',;)]}'.includes(char) || (stopAtNewline && char === '\n')) {
      return text.slice(from, at);
    }
  }
  return text.slice(from);
}

/** The index of the quote that closes the string opened at `start`. */
function endOfString(text: string, start: number): number {
  const quote = text[start];
  for (let at = start + 1; at < text.length; at++) {
    if (text[at] === '\\') at++;
    else if (text[at] === quote) return at;
  }
  return text.length;
}

function escaped(name: string): string {
  return name.replace(/[$]/g, '\\$&');
}

/** The initializers of `const|let|var NAME = …` in the text. */
function initializersOf(text: string, name: string): string[] {
  const declaration = new RegExp(`\\b(?:const|let|var)\\s+${escaped(name)}\\s*(?::[^=]+)?=`, 'g');
  return [...text.matchAll(declaration)].map((match) => expressionAt(text, match.index + match[0].length, true));
}

/**
 * Of `candidates` (the variables the file reads that are unset), those the file reads in the
 * value of a property named `key` — directly, or through a constant that value names.
 */
export function variablesReadFor(source: string, key: string, candidates: readonly string[]): string[] {
  const text = withoutComments(source);
  const property = new RegExp(`(?:^|[\\s{,])(['"]?)${escaped(key)}\\1\\s*:`, 'g');
  const found = new Set<string>();
  for (const match of text.matchAll(property)) {
    const value = expressionAt(text, match.index + match[0].length, false);
    for (const name of envReadsIn(value)) found.add(name);
    const identifiers = value.replace(ENV_READ, ' ').match(/(?<![.\w$])[A-Za-z_$][\w$]*/g) ?? [];
    for (const identifier of new Set(identifiers)) {
      for (const initializer of initializersOf(text, identifier)) for (const name of envReadsIn(initializer)) found.add(name);
    }
  }
  return candidates.filter((name) => found.has(name));
}
