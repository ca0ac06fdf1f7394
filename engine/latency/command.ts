// Latency on a device esnac cannot reach (a phone over adb, an edge board): the user's command
// gets the model as {onnx} and prints milliseconds. The template is split into arguments once
// and run without a shell, like the command evaluator's. A command that fails or prints no
// number fails the candidate, with the reason.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArchitectureSpec } from '../architecture/types';
import { encodeOnnx } from '../interop/onnx-codec';
import { describeEnd } from '../evaluation/command';
import { runProcess, tail } from '../evaluation/process';
import { placeholdersOf, splitArguments, substitute } from '../evaluation/template';
import { UserError } from '../util/errors';
import { Latency } from '../cost/objective';
import { LatencyMeter } from './meter';
import { timingModel } from './timing-model';

const WHERE = 'the latency command';

/** Milliseconds, optionally followed by their noise, on the last line the command printed. */
export function parseLatencyOutput(stdout: string): Latency {
  const last = stdout.trim().split('\n').pop()?.trim() ?? '';
  const numbers = last.split(/\s+/).map(Number);
  const [ms, noiseMs = 0] = numbers;
  if (last === '' || numbers.length > 2 || !numbers.every((n) => Number.isFinite(n) && n >= 0) || ms <= 0) {
    throw new UserError(`${WHERE} printed ${last === '' ? 'nothing' : `'${last.slice(0, 200)}'`}: expected milliseconds (a positive number, optionally followed by its noise) on its last line`);
  }
  return { ms, noiseMs };
}

export class CommandMeter implements LatencyMeter {
  readonly label: string;
  private readonly argv: string[];

  constructor(template: string) {
    if (template.trim() === '') throw new UserError(`${WHERE} is empty`);
    if (!placeholdersOf(template, WHERE, ['onnx']).has('onnx')) throw new UserError(`${WHERE} must pass the model to time as {onnx}`);
    this.argv = splitArguments(template, WHERE);
    this.label = `the command ${template}`;
  }

  async time(spec: ArchitectureSpec, signal?: AbortSignal): Promise<Latency> {
    const model = await timingModel(spec);
    const dir = mkdtempSync(join(tmpdir(), 'esnac-latency-'));
    try {
      const onnx = join(dir, 'model.onnx');
      writeFileSync(onnx, encodeOnnx(model));
      const stdoutFile = join(dir, 'stdout.txt');
      const stderrFile = join(dir, 'stderr.txt');
      const argv = this.argv.map((arg) => substitute(arg, { onnx }));
      const end = await runProcess(argv, { cwd: dir, stdoutFile, stderrFile, signal });
      if (end.kind !== 'exited' || end.code !== 0) {
        const log = tail(stderrFile);
        throw new UserError(`${WHERE} failed (${describeEnd(end, argv[0], undefined)})${log ? `: ${log}` : ''}`);
      }
      return parseLatencyOutput(readFileSync(stdoutFile, 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
