// Kernel transfer (paper section 4.3): a run saves the kernels it fits; another search (other
// teacher or dataset) can propose with their embeddings instead of fitting kernels of its own.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BiLstmEmbedding } from '../bo/embedding/bilstm';
import { LearnedKernel } from '../bo/kernel/learned-kernel';
import { errorMessage, UserError } from '../util/errors';

export interface SavedKernel {
  file: string;
  json: unknown;
}

/** The kernel files saved at the last step of another run, parsed: checked before a search starts anything. */
export function readTransferredKernels(runDir: string): SavedKernel[] {
  const dir = join(resolve(runDir), 'kernels');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
  if (files.length === 0) throw new UserError(`${dir}: no saved kernels to transfer (was that run a BO search with at least two steps?)`);
  const step = (f: string) => Number(/^step-(\d+)-/.exec(f)?.[1] ?? 0);
  const last = Math.max(...files.map(step));
  return files
    .filter((f) => step(f) === last)
    .sort()
    .map((f) => {
      const file = join(dir, f);
      try {
        return { file, json: JSON.parse(readFileSync(file, 'utf8')) as unknown };
      } catch (err) {
        throw new UserError(`${file}: not a saved kernel (${errorMessage(err)}); pass --kernels-from a run whose kernel files are whole`);
      }
    });
}

/** Their embeddings (the caller disposes them); none are left allocated when one is refused. */
export function transferredEmbeddings(saved: SavedKernel[]): BiLstmEmbedding[] {
  const embeddings: BiLstmEmbedding[] = [];
  try {
    for (const { file, json } of saved) embeddings.push(LearnedKernel.fromJSON(json, file).embedding);
    return embeddings;
  } catch (err) {
    embeddings.forEach((e) => e.dispose());
    throw err;
  }
}
