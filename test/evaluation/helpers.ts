// Fake trainers for the command and Slurm evaluator tests: a node script whose behaviour the
// first argument picks, and the settings of a tiny search.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_EVALUATOR, EvaluatorSettings } from '../../engine/evaluation/settings';
import { SearchSettings } from '../../engine/run/settings';
import { TINY_SEARCH } from '../support/tiny-search';

export const TEACHER = 'examples/teachers/vgg-mini-mnist.arch.yaml';

// Modes: ok (writes result.json), fail (stderr + exit 3), first-fails (fails for the first
// candidate it sees, via a marker in SHARED, otherwise ok), bad-result (accuracy 97), sleep
// (writes its pid and a child's pid, then waits). Every call appends to {out}/attempts.
const FAKE_TRAINER = `
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
const [mode, out, shared, name, ...rest] = process.argv.slice(2);
appendFileSync(join(out, 'attempts'), 'x');
writeFileSync(join(out, 'args.json'), JSON.stringify(process.argv.slice(2)));
const fail = () => {
  console.error('loading the data...');
  console.error('RuntimeError: boom in ' + name);
  process.exit(3);
};
const ok = () => writeFileSync(join(out, 'result.json'), JSON.stringify({ accuracy: 0.5, backend: 'fake' }));
if (mode === 'ok') ok();
if (mode === 'fail') fail();
if (mode === 'bad-result') writeFileSync(join(out, 'result.json'), '{"accuracy": 97}');
if (mode === 'first-fails') {
  const first = join(shared, 'first');
  if (!existsSync(first)) writeFileSync(first, name);
  if (readFileSync(first, 'utf8') === name) fail();
  ok();
}
if (mode === 'sleep') {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  writeFileSync(join(out, 'pids'), JSON.stringify([process.pid, child.pid]));
  setTimeout(() => {}, 600_000);
}
`;

/** Writes the fake trainer into a new folder; returns the script and a folder for its shared marks. */
export function fakeTrainer(): { script: string; shared: string } {
  const dir = mkdtempSync(join(tmpdir(), 'esnac-fake-'));
  const script = join(dir, 'fake-trainer.mjs');
  writeFileSync(script, FAKE_TRAINER);
  return { script, shared: dir };
}

/** A command template running the fake trainer in `mode`, then `extra` template text. */
export function fakeCommand(mode: string, extra = ''): string {
  const { script, shared } = fakeTrainer();
  return `'${process.execPath}' '${script}' ${mode} {out} '${shared}' {name} ${extra}`.trim();
}

export function evaluatorWith(settings: Partial<EvaluatorSettings>): EvaluatorSettings {
  return { ...DEFAULT_EVALUATOR, ...settings };
}

/** A search of a few candidates on a few hundred examples; the teacher trains for one epoch. */
export function tinySearch(evaluator: Partial<EvaluatorSettings>, more: Partial<SearchSettings> = {}): Partial<SearchSettings> {
  return {
    ...TINY_SEARCH,
    steps: 1,
    evaluator: evaluatorWith(evaluator),
    ...more,
  };
}

/** Whether a process is still running (a zombie nobody has reaped yet counts as gone). */
export function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}
