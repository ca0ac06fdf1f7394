// `esnac validate FILE...`: every problem of every file as FILE:LINE:COL: message, or a one-line
// summary per valid file. Exit code 1 when any file has a problem.
import { Command } from 'commander';
import { specSummary } from '../architecture/stats';
import { checkSpecFile, formatProblems } from '../architecture/validate';
import { UserError } from '../util/errors';
import { print } from './output';

export function register(program: Command): void {
  program
    .command('validate')
    .description('check architecture spec files (schema, graph, shapes); prints FILE:LINE:COL: message for each problem')
    .argument('<files...>', 'spec files: .arch.json, .arch.yaml or .arch.yml')
    .action(async (files: string[]) => {
      const { report, ok } = await validateFiles(files);
      print(report);
      if (!ok) process.exitCode = 1;
    });
}

/** The command's output and whether every file was valid. */
export async function validateFiles(files: string[]): Promise<{ report: string; ok: boolean }> {
  const lines: string[] = [];
  let ok = true;
  for (const file of files) {
    const result = await checkFile(file);
    ok &&= result.ok;
    lines.push(result.text);
  }
  return { report: lines.join('\n') + '\n', ok };
}

async function checkFile(file: string): Promise<{ text: string; ok: boolean }> {
  try {
    const { spec, problems } = await checkSpecFile(file);
    if (problems.length > 0 || !spec) return { text: formatProblems(file, problems), ok: false };
    return { text: `${file}: ${specSummary(spec)}`, ok: true };
  } catch (err) {
    if (err instanceof UserError) return { text: err.message, ok: false };
    throw err;
  }
}
