// `esnac zoo`: write a teacher from the zoo as a spec file, or list the zoo.
import { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write';
import { dirname } from 'node:path';
import { formatCount } from '../../protocol/format';
import { inferShapes } from '../architecture/shapes';
import { formatForPath, specToText } from '../architecture/write';
import { errorMessage, UserError } from '../util/errors';
import { ZOO_DATASETS, ZOO_NAMES, ZooDataset, zooDatasets, zooDescription, ZooName, zooTeacher } from '../zoo/index';
import { print, printError } from './output';

interface ZooOptions {
  list?: boolean;
  dataset?: string;
  output?: string;
  force?: boolean;
}

export function register(program: Command): void {
  program
    .command('zoo')
    .description('write a teacher network from the zoo as an architecture spec (or --list the zoo)')
    .argument('[name]', `teacher: ${ZOO_NAMES.join(', ')}`)
    .option('-d, --dataset <dataset>', `dataset that sets the input shape and classes: ${ZOO_DATASETS.join(', ')}`)
    .option('-o, --output <file>', 'spec file to write: .json for JSON, .yaml/.yml for YAML (default: YAML to stdout)')
    .option('-f, --force', 'overwrite an existing file')
    .option('-l, --list', 'list the teachers with their parameter counts per dataset')
    .action((name: string | undefined, options: ZooOptions) => {
      if (options.list) {
        print(zooListing());
        return;
      }
      const written = writeZooTeacher(name, options);
      if (written) printError(`${written}\n`);
    });
}

/** Writes the teacher; returns a one-line summary when it went to a file. */
function writeZooTeacher(name: string | undefined, options: ZooOptions): string | undefined {
  if (name === undefined) throw new UserError(`name a teacher (${ZOO_NAMES.join(', ')}) or give --list`);
  if (options.dataset === undefined) throw new UserError(`give --dataset: one of ${ZOO_DATASETS.join(', ')}`);
  const spec = zooTeacher(name as ZooName, options.dataset as ZooDataset);
  if (options.output === undefined) {
    print(specToText(spec, 'yaml'));
    return undefined;
  }
  const path = options.output;
  if (!/\.(json|ya?ml)$/i.test(path)) throw new UserError(`${path}: name the file .json, .yaml or .yml so its format is clear`);
  writeSpecFile(path, specToText(spec, formatForPath(path)), options.force === true);
  const params = inferShapes(spec).params;
  return `wrote ${spec.name} (${spec.layers.length} layers, ${params.toLocaleString('en-US')} params) to ${path}`;
}

function writeSpecFile(path: string, text: string, force: boolean): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (err) {
    throw new UserError(`cannot create the folder for ${path}: ${errorMessage(err)}`);
  }
  try {
    writeFileAtomic(path, text, { exclusive: !force });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new UserError(`${path} already exists; give --force to overwrite it`);
    throw new UserError(`cannot write ${path}: ${errorMessage(err)}`);
  }
}

/** One line per teacher: name, parameter count per dataset ('-' where it cannot fit), description. */
export function zooListing(): string {
  const header = ['teacher', ...ZOO_DATASETS, 'description'];
  const rows = ZOO_NAMES.map((name) => {
    const fits = zooDatasets(name);
    const counts = ZOO_DATASETS.map((d) => (fits.includes(d) ? formatCount(inferShapes(zooTeacher(name, d)).params) : '-'));
    return [name, ...counts, zooDescription(name)];
  });
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [header, ...rows].map(line).join('\n') + '\n';
}

