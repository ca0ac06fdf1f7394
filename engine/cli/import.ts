// `esnac import MODEL.onnx -o TEACHER.arch.yaml [--weights DIR]`: a network from another framework
// (exported to ONNX) as an esnac teacher, with its trained weights as a folder that
// `esnac compress --teacher-weights` reads.
import { Command } from 'commander';
import { initBackend } from '../backend';
import { importOnnxFile } from '../interop/files';

interface ImportOptions {
  output: string;
  weights?: string;
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
    .option('-f, --force', 'overwrite existing files')
    .action((model: string, options: ImportOptions) => runImport(model, options));
}

async function runImport(model: string, options: ImportOptions): Promise<void> {
  await initBackend('cpu');
  const { spec, params } = await importOnnxFile({ model, spec: options.output, ...options });
  const weights = options.weights !== undefined ? ` and its weights to ${options.weights}` : '';
  process.stdout.write(`wrote ${spec.name} (${spec.layers.length} layers, ${params.toLocaleString('en-US')} params) to ${options.output}${weights}\n`);
}
