// `esnac diff TEACHER STUDENT [--json]`: what a compressed student changed in its teacher.
import { Command } from 'commander';
import { diffSpecs, formatDiff } from '../architecture/diff';
import { loadSpecFile } from '../architecture/validate';
import { allInOrder } from '../util/promises';
import { print } from './output';

export function register(program: Command): void {
  program
    .command('diff')
    .description('compare a student architecture with its teacher: removed layers, channels, edges, size ratio')
    .argument('<teacher>', 'the teacher spec file')
    .argument('<student>', 'the student spec file')
    .option('--json', 'print the structured diff as JSON')
    .action(async (teacher: string, student: string, options: { json?: boolean }) => {
      print(await diffReport(teacher, student, options.json === true));
    });
}

export async function diffReport(teacherFile: string, studentFile: string, json: boolean): Promise<string> {
  const [teacher, student] = await allInOrder([loadSpecFile(teacherFile), loadSpecFile(studentFile)]);
  const diff = diffSpecs(teacher, student);
  return (json ? JSON.stringify(diff, null, 2) : formatDiff(diff)) + '\n';
}
