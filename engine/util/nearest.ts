// "Did you mean": the known words nearest to a mistyped one, by edit distance with adjacent
// transpositions counted as one edit (the optimal string alignment distance), so 'cnov' is one
// edit from 'conv' as a typist would count it.

/** Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  // Three rows of the dynamic programme: a transposition looks two rows back.
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, before[j - 2] + 1);
      row.push(best);
    }
    [before, previous] = [previous, row];
  }
  return previous[b.length];
}

/**
 * Up to `limit` of `known` nearest to `typed` (case-insensitively), nearest first, ties in
 * `known`'s order; only those close enough to be a plausible typo: at most a third of the longer
 * word's letters changed, and at least one edit allowed.
 */
export function nearest(typed: string, known: readonly string[], limit = 3): string[] {
  const word = typed.toLowerCase();
  return known
    .map((candidate, order) => ({ candidate, order, distance: editDistance(word, candidate.toLowerCase()) }))
    .filter(({ candidate, distance }) => candidate !== typed && distance <= Math.max(1, Math.floor(Math.max(word.length, candidate.length) / 3)))
    .sort((a, b) => a.distance - b.distance || a.order - b.order)
    .slice(0, limit)
    .map((c) => c.candidate);
}
