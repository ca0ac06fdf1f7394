// `esnac import MODEL.onnx -o TEACHER.arch.yaml [--weights DIR]`: a network from another framework
// (exported to ONNX) as an esnac teacher, with its trained weights as a folder that
// `esnac compress --teacher-weights` reads.
import { Command } from 'commander';
import { initBackend } from '../backend';
import { describeNormalisation } from '../data/preprocessing';
import { importOnnxFile } from '../interop/files';
import { normaliseArg } from './args';

interface ImportOptions {
  output: string;
  weights?: string;
  normalise?: string;
  name?: string;
  force?: boolean;
}

export function register(program: Command): void {
  program
    .command('import')
    .description('read an ONNX model (e.g. from torch.onnx.export) as an architecture spec and its weights')
    .argument('<model>', 'the .onnx file')
    .requiredOption('-o, --output <file>', 'spec file to write: .json for JSON, .yaml/.yml for YAML')
    .option('--weights <dir>', "also write the weights as a folder (model.json + weights.bin) for 'esnac compress --teacher-weights'")
    .option('--name <name>', "the architecture's name (default: the model file's name)")
    .option(
      '--normalise <rule>',
      'how the network was trained: none (pixels in [0, 1]), imagenet, or MEAN/STD (e.g. 0.1307/0.3081, or per channel 0.49,0.48,0.45/0.25,0.24,0.26); recorded with --weights, and runs of this teacher use it',
      normaliseArg,
    )
    .option('-f, --force', 'overwrite existing files')
    .action((model: string, options: ImportOptions) => runImport(model, options));
}

async function runImport(model: string, options: ImportOptions): Promise<void> {
  await initBackend('cpu');
  const { spec, params, normalisation } = await importOnnxFile({ model, spec: options.output, ...options });
  const recorded = normalisation ? ` (trained on: ${describeNormalisation(normalisation)})` : '';
  const weights = options.weights !== undefined ? ` and its weights to ${options.weights}${recorded}` : '';
  process.stdout.write(`wrote ${spec.name} (${spec.layers.length} layers, ${params.toLocaleString('en-US')} params) to ${options.output}${weights}\n`);
}
