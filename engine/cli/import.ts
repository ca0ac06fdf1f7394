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
    .addHelpText(
      'after',
      `
Batchnorm: torch.onnx.export's default (training=torch.onnx.TrainingMode.EVAL) folds each
batchnorm into the conv before it, so the imported teacher has no batchnorm layers (its convs
get biases instead) and its students fine-tune without them. To keep them, export with
  torch.onnx.export(model.eval(), x, 'model.onnx', training=torch.onnx.TrainingMode.PRESERVE)
esnac says so when it sees folded batchnorm.

A final softmax or log_softmax is dropped (esnac works on logits), with a note. A model with
operators the spec format cannot express is refused with every such node listed.`,
    )
    .action((model: string, options: ImportOptions) => runImport(model, options));
}

async function runImport(model: string, options: ImportOptions): Promise<void> {
  await initBackend('cpu');
  const { spec, params, notes } = await importOnnxFile({ model, spec: options.output, ...options });
  for (const note of notes) process.stderr.write(`esnac: note: ${note}\n`);
  const weights = options.weights !== undefined ? ` and its weights to ${options.weights}` : '';
  process.stdout.write(`wrote ${spec.name} (${spec.layers.length} layers, ${params.toLocaleString('en-US')} params) to ${options.output}${weights}\n`);
}
