// How a count (params, MACs) reads wherever people see one: the CLI, report.md, the extension's
// messages and the webviews. Defined here, the one module every side may import, so "16.8K" is
// written the same way everywhere.

/** Three significant digits with a K/M/G suffix from a thousand up: 512, 1.23K, 16.8K, 123K, 4.50M. */
export function formatCount(n: number): string {
  const units: [number, string][] = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [size, suffix] of units) {
    // 999.6K rounds to "1.00e+3K": such a count reads in the next unit up.
    if (Math.abs(n) >= size * 0.9995) return `${(n / size).toPrecision(3)}${suffix}`;
  }
  return String(n);
}

/** The cost ratio C of the paper for a cost named `cost` (params, MACs, latency): the share of the teacher's cost a student saves. */
export function costRatioFormula(cost: string): string {
  return `C = 1 - ${cost}/${cost}(teacher)`;
}

/** The reward f of the paper, which the search maximises. */
export const REWARD_FORMULA = 'f = C(2 - C) * accuracy / accuracy(teacher)';

/** `n` and its noun, singular for one: "1 epoch", "10 epochs", "2 students". */
export function countOf(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}
