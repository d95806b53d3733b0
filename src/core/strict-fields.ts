import { z } from 'zod';

/**
 * An object schema of the config that refuses a field it does not know, naming it and the known
 * field it is probably a misspelling of. zod's plain object drops unknown fields without a word:
 * `signatureHeadr: 'x-shop-signature'` in a source left the default header in place, the server
 * started, and every delivery of that sender was refused as unsigned.
 */
export function strictFields<Shape extends z.core.$ZodLooseShape>(shape: Shape): z.ZodObject<Shape, z.core.$strict> {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? unknownFieldsMessage(issue.keys, known) : undefined),
  });
}

/** `unknown field "signatureHeadr" (did you mean "signatureHeader"?)`, or the known fields when none is close. */
export function unknownFieldsMessage(keys: readonly string[], known: readonly string[]): string {
  const named = keys.map((key) => {
    const near = closest(key, known);
    return `unknown field "${key}"${near === null ? '' : ` (did you mean "${near}"?)`}`;
  });
  const anyNear = keys.some((key) => closest(key, known) !== null);
  return `${named.join(', ')}${anyNear ? '' : `; the fields here are ${known.join(', ')}`}`;
}

/** The known name `key` is most likely a misspelling of: two edits away at most, or the same but for case. */
export function closest(key: string, known: readonly string[]): string | null {
  let best: { name: string; distance: number } | null = null;
  for (const name of known) {
    const distance = name.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, name);
    if (distance <= Math.min(2, Math.floor(name.length / 3)) && (best === null || distance < best.distance)) best = { name, distance };
  }
  return best?.name ?? null;
}

/** Levenshtein distance, with a swap of two neighbouring letters counted as one edit. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}
