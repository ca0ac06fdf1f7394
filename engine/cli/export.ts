// `esnac export SPEC --to pytorch|onnx -o FILE [--weights DIR]`: the architecture as a PyTorch
// module (with trained weights, a .safetensors file beside it that the module's build() loads) or
// as an ONNX graph (opset 13; without trained weights its weights are random, from --seed).
import { Command } from 'commander';
import { initBackend } from '../backend';
import { exportSpecFile, ExportFormat } from '../interop/files';
import { choiceArg, integerArg } from './args';
import { print, printError } from './output';

interface ExportOptions {
  to: ExportFormat;
  output: string;
  weights?: string;
  seed: number;
  force?: boolean;
}

export function register(program: Command): void {
  program
    .command('export')
    .description('write an architecture (and its trained weights) for another framework')
    .argument('<spec>', 'architecture spec file (.arch.yaml / .arch.json)')
    .requiredOption('--to <format>', 'pytorch or onnx', choiceArg(['pytorch', 'onnx'] as const))
    .requiredOption('-o, --output <file>', 'the .py or .onnx file to write')
    .option('--weights <dir>', 'trained weights (a folder with model.json + weights.bin); for pytorch, written as a .safetensors file beside the .py')
    .option('--seed <n>', 'onnx without --weights: seed of the random initialisation', integerArg(0), 0)
    .option('-f, --force', 'overwrite existing files')
    .action((spec: string, options: ExportOptions) => runExport(spec, options));
}

async function runExport(spec: string, options: ExportOptions): Promise<void> {
  await initBackend('cpu');
  const result = await exportSpecFile({ spec, ...options });
  const files = result.files.join(' and ');
  const name = result.spec.name;
  if (options.to === 'pytorch') {
    print(`${files}: ${name} as a PyTorch module (build() returns it${result.weights === 'trained' ? ' with the trained weights' : ", initialised by PyTorch"})\n`);
  } else {
    print(`${files}: ${name} as an ONNX model (opset 13)\n`);
    if (result.weights === 'random') printError(`esnac: no --weights given: the weights are a random initialisation (seed ${options.seed}), not trained ones\n`);
  }
}
