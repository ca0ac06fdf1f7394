// Keeping runs out of git: a runs folder holds weights and hundreds of candidates, which do not
// belong in a repository. Git itself says whether a folder is ignored (every .gitignore, the
// repository's info/exclude and the user's global excludes count), so the answer is exact.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { writeFileAtomic } from '../util/atomic-write';

const run = promisify(execFile);
/** Git answers these in milliseconds; a hung git (a network mount) must not hold a run. */
const GIT_TIMEOUT_MS = 5_000;

export interface IgnoreAdvice {
  /** The repository's top-level .gitignore. */
  gitignore: string;
  /** The line that ignores the runs folder, from the repository's root: /esnac-runs/ */
  entry: string;
}

/**
 * What to add to .gitignore so git ignores `runsFolder` (which exists); undefined when git
 * ignores it already, it is not in a git work tree, or git is not installed.
 */
export async function gitignoreAdvice(runsFolder: string): Promise<IgnoreAdvice | undefined> {
  const git = (...args: string[]) => run('git', ['-C', runsFolder, ...args], { timeout: GIT_TIMEOUT_MS });
  let root: string;
  try {
    root = (await git('rev-parse', '--show-toplevel')).stdout.trim();
  } catch {
    return undefined;
  }
  const inRepo = relative(root, runsFolder);
  if (inRepo === '' || inRepo.startsWith('..')) return undefined;
  try {
    await git('check-ignore', '-q', '--', '.');
    return undefined;
  } catch (err) {
    // Exit status 1: not ignored. Anything else (128: a bare or broken repository) gives no advice.
    if ((err as { code?: unknown }).code !== 1) return undefined;
  }
  return { gitignore: join(root, '.gitignore'), entry: `/${inRepo.split(sep).join('/')}/` };
}

/** Appends the entry to .gitignore (created if missing), the file written whole. */
export function addIgnoreEntry({ gitignore, entry }: IgnoreAdvice): void {
  const existing = existsSync(gitignore) ? readFileSync(gitignore, 'utf8') : '';
  const separator = existing === '' || existing.endsWith('\n') ? '' : '\n';
  writeFileAtomic(gitignore, `${existing}${separator}${entry}\n`);
}

/** The CLI's one-line hint. */
export function gitignoreHint({ entry }: IgnoreAdvice): string {
  return `hint: git does not ignore the runs folder; add ${entry} to .gitignore to keep runs (weights, candidates) out of commits`;
}
