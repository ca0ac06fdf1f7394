// The README's demo search (package.json `demo`) with --evaluator pytorch and with --evaluator
// local, same seed, one after the other: wall time of each, the PyTorch candidates' time outside
// training (the journal's seconds minus the worker's training seconds in the weights' model.json:
// initial weights, files, queueing), and the accuracies of the candidates both evaluated.
// `npm run bench -- demo-evaluators`
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CandidateEvent, JournalEvent } from '../engine/run/journal';
import { writeResults } from './_results';

const ROOT = join(__dirname, '..');
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { demo: string } };

/** The demo's arguments after `compress` (node bin/esnac.js compress TEACHER ...). */
function demoArguments(): string[] {
  const words = PACKAGE.scripts.demo.split(/\s+/);
  return words.slice(words.indexOf('compress') + 1);
}

interface Run {
  evaluator: string;
  seconds: number;
  candidates: CandidateEvent[];
  dir: string;
}

function search(evaluator: string, parent: string): Run {
  const dir = join(parent, evaluator);
  const started = performance.now();
  const done = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'engine/cli/main.ts'), 'compress', ...demoArguments(), '--evaluator', evaluator, '--seed', '0', '-o', dir], { cwd: ROOT, encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  if (done.status !== 0) throw new Error(`the ${evaluator} search failed:\n${done.stdout}\n${done.stderr}`);
  process.stdout.write(done.stdout.split('\n').filter((l) => /^(evaluator|PyTorch workers|best student)/.test(l)).join('\n') + '\n');
  const journal = readFileSync(join(dir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JournalEvent);
  return { evaluator, seconds, candidates: journal.filter((e): e is CandidateEvent => e.type === 'candidate'), dir };
}

function outsideTraining(run: Run): number[] {
  return run.candidates.flatMap((c) => {
    const model = c.weights && join(run.dir, c.weights, 'model.json');
    if (!model || !existsSync(model)) return [];
    const trained = (JSON.parse(readFileSync(model, 'utf8')) as { training?: { seconds?: number } }).training?.seconds;
    return trained === undefined ? [] : [c.seconds - trained];
  });
}

function main(): void {
  const parent = mkdtempSync(join(tmpdir(), 'esnac-bench-demo-'));
  // Other work on the machine slows both searches: recorded with the results.
  const loadBefore = loadavg();
  try {
    const pytorch = search('pytorch', parent);
    const local = search('local', parent);
    const outside = outsideTraining(pytorch);
    const both = pytorch.candidates.filter((c) => local.candidates.some((l) => l.name === c.name));
    const side = both.map((c) => ({ name: c.name, pytorch: c.accuracy ?? null, local: local.candidates.find((l) => l.name === c.name)!.accuracy ?? null }));
    const results = {
      demo: PACKAGE.scripts.demo,
      loadAverage: { before: loadBefore, after: loadavg() },
      wallSeconds: { pytorch: pytorch.seconds, local: local.seconds },
      localOverPytorch: local.seconds / pytorch.seconds,
      pytorchSecondsOutsideTraining: { mean: outside.reduce((a, b) => a + b, 0) / Math.max(1, outside.length), max: Math.max(...outside), candidates: outside.length },
      candidateSeconds: {
        pytorch: pytorch.candidates.reduce((s, c) => s + c.seconds, 0) / pytorch.candidates.length,
        local: local.candidates.reduce((s, c) => s + c.seconds, 0) / local.candidates.length,
      },
      sameCandidates: side,
      bestAccuracy: { pytorch: Math.max(...pytorch.candidates.map((c) => c.accuracy ?? 0)), local: Math.max(...local.candidates.map((c) => c.accuracy ?? 0)) },
    };
    process.stdout.write(JSON.stringify(results, null, 2) + '\n');
    process.stdout.write(`wrote ${writeResults('demo-evaluators', results)}\n`);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
}

main();
