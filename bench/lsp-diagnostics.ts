// Diagnostics latency of the language server for a 2,000-layer spec, YAML and JSON: from a
// didChange sent by a client to the publishDiagnostics for that version, through the real engine
// process over stdio, less the server's typing debounce; and the analysis alone, in process
// (parsing, checking, shapes and id positions: what the server does per version).
// Usage: node --import tsx bench/lsp-diagnostics.ts [--layers 2000] [--repeats 6]
import { parseArgs } from 'node:util';
import { analyzeSpec } from '../engine/server/analysis';
import { DIAGNOSTICS_DELAY_MS } from '../engine/server/server';
import { specToText } from '../engine/architecture/write';
import { Engine, generatedSpec } from '../test/server/client';
import { writeResults } from './_results';

const { values } = parseArgs({ options: { layers: { type: 'string', default: '2000' }, repeats: { type: 'string', default: '6' } } });
const layers = Number(values.layers);
const repeats = Number(values.repeats);

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const engine = await Engine.start();
  const rows: Record<string, unknown>[] = [];
  for (const format of ['yaml', 'json'] as const) {
    // Alternating versions with and without a problem: each change must be checked afresh.
    const texts = [specToText(generatedSpec(layers), format), specToText(generatedSpec(layers, 'missing'), format)];
    const uri = `file:///bench/generated.arch.${format}`;
    let started = performance.now();
    await engine.open(uri, texts[0]);
    const openMs = performance.now() - started;
    const changeMs: number[] = [];
    for (let i = 1; i <= repeats; i++) {
      started = performance.now();
      const diagnostics = await engine.change(uri, texts[i % 2]);
      changeMs.push(performance.now() - started - DIAGNOSTICS_DELAY_MS);
      if (diagnostics.length !== i % 2) throw new Error(`expected ${i % 2} diagnostics, got ${diagnostics.length}`);
    }
    await engine.close(uri);
    const analysisMs = Array.from({ length: repeats }, (_, i) => {
      const start = performance.now();
      analyzeSpec(texts[i % 2], uri);
      return performance.now() - start;
    });
    rows.push({ format, bytes: texts[0].length, openMs, changeMedianMs: median(changeMs), changeMaxMs: Math.max(...changeMs), analysisMs: median(analysisMs) });
  }
  await engine.stop();

  process.stdout.write(`diagnostics for a ${layers}-layer spec (change: after the ${DIAGNOSTICS_DELAY_MS} ms debounce, median of ${repeats})\n`);
  process.stdout.write('format  bytes    open ms  change ms (median / max)  analysis in process ms\n');
  for (const r of rows as { format: string; bytes: number; openMs: number; changeMedianMs: number; changeMaxMs: number; analysisMs: number }[]) {
    process.stdout.write(
      `${r.format.padEnd(6)}  ${String(r.bytes).padEnd(7)}  ${r.openMs.toFixed(0).padStart(7)}  ${r.changeMedianMs.toFixed(0).padStart(9)} / ${r.changeMaxMs.toFixed(0).padEnd(12)}  ${r.analysisMs.toFixed(0).padStart(8)}\n`,
    );
  }
  const path = writeResults('lsp-diagnostics', { layers, repeats, debounceMs: DIAGNOSTICS_DELAY_MS, results: rows });
  process.stdout.write(`wrote ${path}\n`);
}

void main();
