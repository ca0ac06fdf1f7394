// `esnac import MODEL.onnx -o TEACHER.arch.yaml [--weights DIR]`: a network from another framework
// (exported to ONNX) as an esnac teacher, with its trained weights as a folder that
// `esnac compress --teacher-weights` reads.
import { Command } from 'commander';
import { initBackend } from '../backend';
import { Normalisation, describeNormalisation, parseFixedNormalisation } from '../data';
import { UserError } from '../util/errors';
import { importOnnxFile } from '../interop/files';
import { normaliseArg } from './args';
import { print, printError } from './output';

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
  const { normalise, ...request } = options;
  const normalisation = normalise === undefined ? undefined : (channels: number) => fixedNormalisation(normalise, channels);
  const { spec, params, notes, normalisation: recorded } = await importOnnxFile({ model, spec: options.output, ...request, ...(normalisation ? { normalisation } : {}) });
  for (const note of notes) printError(`esnac: note: ${note}
`);
  const trainedOn = recorded ? ` (trained on: ${describeNormalisation(recorded)})` : '';
  const weights = options.weights !== undefined ? ` and its weights to ${options.weights}${trainedOn}` : '';
  print(`wrote ${spec.name} (${spec.layers.length} layers, ${params.toLocaleString('en-US')} params) to ${options.output}${weights}\n`);
}

/** The numbers of a --normalise rule; `dataset` names none, so a trained network cannot record it. */
function fixedNormalisation(rule: string, channels: number): Normalisation {
  const fixed = parseFixedNormalisation(rule, channels);
  if (!fixed) throw new UserError('--normalise dataset names no numbers: give the ones the network was trained with (none, imagenet or MEAN/STD)');
  return fixed;
}
