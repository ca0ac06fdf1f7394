// `esnac sample TEACHER -n N --seed S -o DIR`: draw candidates from a teacher's search space and
// write each as DIR/<candidate>.arch.yaml, to look at, diff or train by hand.
import { Command, InvalidArgumentError } from 'commander';
import { writeFileAtomic } from '../util/atomic-write';
import { join, relative } from 'node:path';
import { drawCandidates } from '../space/draw';
import { compression } from '../space/reward';
import { buildSearchSpace } from '../space/space';
import { specToText } from '../architecture/write';
import { loadSpecFile } from '../architecture/validate';
import { errorMessage, UserError } from '../util/errors';
import { fileStem } from '../util/file-name';
import { makeFolder } from '../util/atomic-write';
import { Rng } from '../util/rng';
import { print } from './output';

export interface SampleOptions {
  n: number;
  seed: number;
  output: string;
  removal: boolean;
  shrink: boolean;
  skip: boolean;
}

function integer(min: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}`);
    return n;
  };
}

export function register(program: Command): void {
  program
    .command('sample')
    .description("write random candidates from a teacher's search space (layer removal, shrinkage, skip connections)")
    .argument('<teacher>', 'teacher spec file')
    .requiredOption('-n, --n <count>', 'how many distinct candidates', integer(1))
    .option('-s, --seed <seed>', 'random seed: the same seed gives the same candidates', integer(0), 0)
    .requiredOption('-o, --output <dir>', 'folder for the candidate files (existing files are kept)')
    .option('--no-removal', 'do not remove layers')
    .option('--no-shrink', 'do not shrink layers')
    .option('--no-skip', 'do not add skip connections')
    .action(async (teacher: string, options: SampleOptions) => {
      print(await sampleToFolder(teacher, options));
    });
}

/** Writes the candidates; returns one line per candidate (file, params, compression). */
export async function sampleToFolder(teacherPath: string, options: SampleOptions): Promise<string> {
  const teacher = await loadSpecFile(teacherPath);
  const space = buildSearchSpace(teacher, { removal: options.removal, shrink: options.shrink, skip: options.skip });
  const drawn = drawCandidates(space, new Rng(options.seed), options.n);
  makeFolder(options.output);
  const lines = drawn.map(({ spec, params }) => {
    const path = join(options.output, `${fileStem(spec.name)}.arch.yaml`);
    const origin = { ...spec.candidate!, teacherPath: relative(options.output, teacherPath) };
    const written = writeNew(path, specToText({ ...spec, candidate: origin }, 'yaml'));
    const c = compression(params, space.teacherParams);
    const smaller = (space.teacherParams / params).toFixed(2);
    return `${path}  ${params.toLocaleString('en-US')} params  C=${c.toFixed(4)} (${smaller}x smaller)${written ? '' : '  (exists, kept)'}`;
  });
  const shortfall = drawn.length < options.n ? `only ${drawn.length} distinct candidates found\n` : '';
  const header = `${teacher.name}: ${space.teacherParams.toLocaleString('en-US')} params\n`;
  return header + lines.join('\n') + '\n' + shortfall;
}

/** Writes unless the file exists; false when it did. */
function writeNew(path: string, text: string): boolean {
  try {
    writeFileAtomic(path, text, { exclusive: true });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new UserError(`cannot write ${path}: ${errorMessage(err)}`);
  }
}
