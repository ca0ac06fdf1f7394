// File and folder names made from names a file gives (a spec's name): the name is display text,
// so it becomes a name only when it is already a plain one; otherwise a slug of it plus a hash of
// the whole name, so distinct names stay distinct files and nothing can name a path.
import { createHash } from 'node:crypto';

/** Longest name kept as is; longer ones are cut (with the hash) to stay far below NAME_MAX. */
const MAX_PLAIN = 80;
const SLUG_LENGTH = 48;
const PLAIN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A file name stem for `name`: `name` itself when plain, else `<slug>-<hash>`. */
export function fileStem(name: string): string {
  if (PLAIN.test(name) && name.length <= MAX_PLAIN && !name.endsWith('.')) return name;
  const slug = name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')
    .slice(0, SLUG_LENGTH)
    .replace(/[^A-Za-z0-9]+$/, '');
  const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 8);
  return `${slug || 'net'}-${hash}`;
}
