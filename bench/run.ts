// `npm run bench -- NAME [args]`: runs bench/NAME.ts, which prints a table and writes
// bench/results/NAME.json. Without a name, lists the benchmarks.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const names = readdirSync(__dirname)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();
const [name, ...rest] = process.argv.slice(2);
if (!name || !names.includes(name)) {
  process.stdout.write(`usage: npm run bench -- NAME [options]\nbenchmarks: ${names.join(', ')}\n`);
  process.exitCode = name ? 1 : 0;
} else {
  process.argv = [process.argv[0], join(__dirname, `${name}.ts`), ...rest];
  void import(join(__dirname, `${name}.ts`));
}
