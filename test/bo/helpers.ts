// Small synthetic encodings for the kernel tests.
import { EncodedArchitecture } from '../../engine/space/encoding';
import { Rng } from '../../engine/util/rng';

/** A random architecture-like matrix: one-hot type in the first `types` columns, sparse extras. */
export function randomEncoding(rows: number, width: number, rng: Rng, types = 4): EncodedArchitecture {
  const data = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    data[r * width + rng.int(0, types - 1)] = 1;
    for (let c = types; c < width; c++) if (rng.bernoulli(0.2)) data[r * width + c] = rng.int(1, 3);
  }
  return { rows, width, data };
}
