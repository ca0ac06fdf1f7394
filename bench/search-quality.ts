// BO against random search at the same budget (the paper's Figure 2): best f after each
// evaluation, over several seeds, on Fashion-MNIST with a small zoo teacher. Writes
// bench/results/search-quality.json and bench/results/search-quality.svg.
// Usage: npm run bench -- search-quality [--seeds 3] [--steps 5] [--kernels 4] [--epochs 1]
//   [--limit-train 2000] [--limit-validation 1000] [--teacher-epochs 3] [--dataset fashion-mnist]
//   [--teacher examples/teachers/vgg-mini-fashion-mnist.arch.yaml] [--teacher-weights DIR]
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../engine/backend';
import { runLoadOptions } from '../engine/search/dataset';
import { CandidateEvent, JournalEvent } from '../engine/run/journal';
import { DEFAULT_SETTINGS, SearchMethod, SearchSettings } from '../engine/run/settings';
import { compress } from '../engine/search/compress';
import { trainTeacher } from '../engine/search/teacher';
import { loadSpecFile } from '../engine/architecture/validate';
import { RunDirectory } from '../engine/run/run-directory';
import { writeResults } from './_results';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const METHODS: SearchMethod[] = ['bo', 'random'];

/** Best f after each evaluation, in the order the journal recorded them (failures count as evaluations). */
export function bestSoFar(events: JournalEvent[]): number[] {
  let best = 0;
  return events
    .filter((e): e is CandidateEvent => e.type === 'candidate')
    .map((e) => (best = Math.max(best, e.status === 'ok' ? e.f! : 0)));
}

function mean(curves: number[][]): number[] {
  const length = Math.min(...curves.map((c) => c.length));
  return Array.from({ length }, (_, i) => curves.reduce((s, c) => s + c[i], 0) / curves.length);
}

function svgPlot(curves: Record<SearchMethod, number[][]>): string {
  const [w, h, pad] = [640, 400, 50];
  const all = Object.values(curves).flat(2);
  const [lo, hi] = [Math.min(...all), Math.max(...all)];
  const n = Math.max(...Object.values(curves).flat().map((c) => c.length));
  const x = (i: number) => pad + ((w - 2 * pad) * i) / Math.max(1, n - 1);
  const y = (v: number) => h - pad - ((h - 2 * pad) * (v - lo)) / Math.max(1e-9, hi - lo);
  const line = (c: number[], colour: string, width: number, opacity: number) =>
    `<polyline fill="none" stroke="${colour}" stroke-width="${width}" stroke-opacity="${opacity}" points="${c.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`;
  const colours: Record<SearchMethod, string> = { bo: '#d62728', random: '#1f77b4' };
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="${w}" height="${h}" fill="white"/>`,
    `<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="black"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" stroke="black"/>`,
    `<text x="${w / 2}" y="${h - 15}" text-anchor="middle">evaluated architectures</text>`,
    `<text x="15" y="${h / 2}" transform="rotate(-90 15 ${h / 2})" text-anchor="middle">best f so far</text>`,
    `<text x="${pad - 5}" y="${y(lo)}" text-anchor="end">${lo.toFixed(3)}</text><text x="${pad - 5}" y="${y(hi) + 4}" text-anchor="end">${hi.toFixed(3)}</text>`,
    `<text x="${w - pad}" y="${h - pad + 15}" text-anchor="end">${n}</text>`,
  ];
  METHODS.forEach((m, k) => {
    for (const c of curves[m]) parts.push(line(c, colours[m], 1, 0.3));
    parts.push(line(mean(curves[m]), colours[m], 3, 1));
    parts.push(`<text x="${w - pad - 120}" y="${pad + 20 * (k + 1)}" fill="${colours[m]}">${m === 'bo' ? 'BO (learned kernel)' : 'random search'}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

async function main(): Promise<void> {
  const backend = await initBackend('auto');
  const seeds = Number(flag('seeds', '3'));
  const dataset = flag('dataset', 'fashion-mnist');
  const teacherPath = flag('teacher', 'examples/teachers/vgg-mini-fashion-mnist.arch.yaml');
  const settings: Partial<SearchSettings> = {
    steps: Number(flag('steps', '5')),
    kernels: Number(flag('kernels', '4')),
    epochs: Number(flag('epochs', '1')),
    limitTrain: Number(flag('limit-train', '2000')),
    limitValidation: Number(flag('limit-validation', '1000')),
    teacherEpochs: Number(flag('teacher-epochs', '3')),
    finetuneTop: 0,
  };
  const work = mkdtempSync(join(tmpdir(), 'esnac-search-quality-'));
  let teacherWeights = flag('teacher-weights', '');
  if (!teacherWeights) {
    teacherWeights = join(work, 'teacher.weights');
    const spec = await loadSpecFile(teacherPath);
    const runSettings = { ...DEFAULT_SETTINGS, ...settings };
    const data = { name: dataset, load: runLoadOptions({ settings: runSettings }, spec.input) };
    const measured = await trainTeacher(spec, teacherWeights, data, runSettings, { log: (m) => process.stdout.write(`${m}\n`) });
    process.stdout.write(`teacher accuracy ${(100 * measured.accuracy).toFixed(2)}%\n`);
  }
  const curves: Record<SearchMethod, number[][]> = { bo: [], random: [] };
  for (let seed = 0; seed < seeds; seed++) {
    for (const method of METHODS) {
      const runDir = join(work, `${method}-seed${seed}`);
      const started = performance.now();
      await compress({ teacherPath, dataset, teacherWeights, runDir, settings: { ...settings, seed, method } });
      const curve = bestSoFar(RunDirectory.open(runDir).journal.read());
      curves[method].push(curve);
      process.stdout.write(`seed ${seed} ${method}: best f ${curve.at(-1)!.toFixed(4)} after ${curve.length} evaluations (${((performance.now() - started) / 60000).toFixed(1)} min)\n`);
    }
  }
  const final = Object.fromEntries(METHODS.map((m) => [m, mean(curves[m]).at(-1)]));
  const wins = curves.bo.filter((c, i) => c.at(-1)! > curves.random[i].at(-1)!).length;
  process.stdout.write(`\nmean best f at the end: BO ${final.bo!.toFixed(4)}, random ${final.random!.toFixed(4)}; BO ahead on ${wins} of ${seeds} seeds\n`);
  writeResults('search-quality', { backend: backend.detail, dataset, teacher: teacherPath, settings, curves, meanCurves: { bo: mean(curves.bo), random: mean(curves.random) }, finalMean: final, boWins: wins, seeds });
  writeFileSync(join(__dirname, 'results', 'search-quality.svg'), svgPlot(curves));
  process.stdout.write(`written to bench/results/search-quality.json and .svg (runs in ${work})\n`);
}

void main();
