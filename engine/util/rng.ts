// The one source of randomness: every random choice in the engine draws from an Rng made from
// the run's seed, so a run is reproducible from its seed.
import { mersenne, mersenneFromState } from 'pure-rand/generator/mersenne';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';

// MT19937: its seeding spreads small seeds well (xoroshiro128+ from pure-rand starts every small
// seed with a draw near 1.0).
export class Rng {
  private readonly gen;

  /** From a seed, or from a `state()` to go on with another generator's sequence (e.g. in another thread). */
  constructor(seed: number | readonly number[]) {
    this.gen = typeof seed === 'number' ? mersenne(seed) : mersenneFromState(seed);
  }

  state(): number[] {
    return [...this.gen.getState()];
  }

  /** Uniform in [0, 1). */
  next(): number {
    return uniformFloat64(this.gen);
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return uniformInt(this.gen, min, max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }

  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** An independent generator derived from this one (e.g. one per kernel or per worker). */
  fork(): Rng {
    return new Rng(this.int(0, 0x7fffffff));
  }
}
