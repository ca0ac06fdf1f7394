// `esnac stats FILE [--json]`: per-layer output shapes, parameters and MACs, with totals.
import { Command } from 'commander';
import { formatStatsTable, specStats, specSummary } from '../architecture/stats';
import { loadSpecFile } from '../architecture/validate';
import { print } from './output';

export function register(program: Command): void {
  program
    .command('stats')
    .description('per-layer output shape, parameters and MACs of an architecture spec, with totals')
    .argument('<file>', 'spec file: .arch.json, .arch.yaml or .arch.yml')
    .option('--json', 'print {"params", "macs", "layers": [{"id", "type", "shape", "params", "macs"}]}')
    .action(async (file: string, options: { json?: boolean }) => {
      print(await statsReport(file, options.json === true));
    });
}

export async function statsReport(file: string, json: boolean): Promise<string> {
  const spec = await loadSpecFile(file);
  const stats = specStats(spec);
  if (json) return JSON.stringify(stats) + '\n';
  return `${specSummary(spec, stats)}\n\n${formatStatsTable(stats)}\n`;
}
