// Shared by the benchmarks: where results go and how they are stamped.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';

export function writeResults(name: string, results: Record<string, unknown>): string {
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  const machine = { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.version };
  writeFileSync(path, JSON.stringify({ benchmark: name, date: new Date().toISOString(), machine, ...results }, null, 2) + '\n');
  return path;
}
