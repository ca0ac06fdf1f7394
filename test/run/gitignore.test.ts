// Keeping runs out of git: git's own answer on whether the runs folder is ignored, and the entry
// added to .gitignore without disturbing what the file holds.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { addIgnoreEntry, gitignoreAdvice, gitignoreHint } from '../../engine/run/gitignore';

function hasGit(): boolean {
  try {
    execFileSync('git', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('a runs folder git does not ignore gets an entry, added once; ignored or outside a repository, no advice', { skip: !hasGit() && 'git is not installed' }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'esnac-gitignore-'));
  const runs = join(root, 'project', 'esnac-runs');
  mkdirSync(join(runs, 'r1'), { recursive: true });
  assert.equal(await gitignoreAdvice(runs), undefined, 'not in a repository');

  const project = join(root, 'project');
  execFileSync('git', ['init', '-q', project]);
  writeFileSync(join(project, '.gitignore'), 'node_modules/');
  const advice = await gitignoreAdvice(runs);
  assert.deepEqual(advice, { gitignore: join(project, '.gitignore'), entry: '/esnac-runs/' });
  assert.match(gitignoreHint(advice!), /^hint: .*add \/esnac-runs\/ to \.gitignore/);
  addIgnoreEntry(advice!);
  assert.equal(readFileSync(join(project, '.gitignore'), 'utf8'), 'node_modules/\n/esnac-runs/\n');
  assert.equal(await gitignoreAdvice(runs), undefined, 'ignored now');

  const nested = join(project, 'experiments', 'esnac-runs');
  mkdirSync(nested, { recursive: true });
  assert.equal((await gitignoreAdvice(nested))?.entry, '/experiments/esnac-runs/');
  writeFileSync(join(project, '.gitignore'), 'experiments/\n');
  assert.equal(await gitignoreAdvice(nested), undefined, 'a parent folder ignored ignores the runs');
});
