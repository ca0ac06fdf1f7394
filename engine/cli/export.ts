// `esnac export SPEC --to pytorch -o FILE.py [--weights DIR]`: the architecture as a PyTorch
// module, and with trained weights a .safetensors file beside it that the module's build() loads.
import { Command } from 'commander';
import { existsSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { initBackend } from '../backend';
import { exportPytorch } from '../interop/pytorch-export';
import { loadModel } from '../model/io';
import { disposeWeights } from '../model/weights';
import { loadSpecFile } from '../spec/validate';
import { UserError } from '../util/errors';
import { choiceArg } from './args';

interface ExportOptions {
  to: 'pytorch';
  output: string;
  weights?: string;
  force?: boolean;
}

export function register(program: Command): void {
  program
    .command('export')
    .description('write an architecture (and its trained weights) for another framework')
    .argument('<spec>', 'architecture spec file (.arch.yaml / .arch.json)')
    .requiredOption('--to <format>', 'pytorch', choiceArg(['pytorch'] as const))
    .requiredOption('-o, --output <file>', 'the .py file to write')
    .option('--weights <dir>', 'trained weights (a folder with model.json + weights.bin): written as a .safetensors file beside the .py')
    .option('-f, --force', 'overwrite existing files')
    .action((file: string, options: ExportOptions) => runExport(file, options));
}

function refuseExisting(path: string, force: boolean | undefined): void {
  if (!force && existsSync(path)) throw new UserError(`${path} exists; choose another name or pass --force to overwrite it`);
}

async function runExport(file: string, options: ExportOptions): Promise<void> {
  if (!options.output.endsWith('.py')) throw new UserError(`${options.output}: the PyTorch module must be a .py file`);
  const spec = await loadSpecFile(file);
  await initBackend('cpu');
  const trained = options.weights !== undefined ? loadModel(options.weights) : undefined;
  try {
    if (trained && JSON.stringify(trained.spec.layers) !== JSON.stringify(spec.layers)) {
      throw new UserError(`${options.weights} holds weights of '${trained.spec.name}', whose layers differ from ${file}`);
    }
    const weightsFile = `${basename(options.output, '.py')}.safetensors`;
    const result = exportPytorch(spec, trained?.weights, weightsFile);
    const weightsPath = join(dirname(options.output), weightsFile);
    refuseExisting(options.output, options.force);
    if (result.weights) refuseExisting(weightsPath, options.force);
    writeFileSync(options.output, result.source);
    if (result.weights) writeFileSync(weightsPath, result.weights);
    process.stdout.write(`${options.output}${result.weights ? ` and ${weightsPath}` : ''}: ${spec.name} as a PyTorch module (build() returns it${result.weights ? ' with the trained weights' : ''})\n`);
  } finally {
    if (trained) disposeWeights(trained.weights);
  }
}
