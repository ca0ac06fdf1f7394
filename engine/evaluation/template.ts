// Command templates: `python train.py --arch {spec} --out {out}` becomes an argument vector, each
// placeholder replaced inside its own argument. Nothing is ever interpreted by a shell unless the
// user asks for one, and even then the substituted values are quoted.
import { UserError } from '../util/errors';

/** Every placeholder a command or job template may use, with what it becomes. */
export const PLACEHOLDERS = {
  name: "the candidate's name (unique within the run)",
  spec: "the candidate's spec file (YAML, absolute path)",
  out: "the candidate's work folder: write result.json here (logs and the job script go here too)",
  weights: 'a folder for trained weights in esnac format (model.json + weights.bin), if the trainer writes them',
  init: "the candidate's initial weights in esnac format: inherited from the teacher (or fresh, with --no-inherit)",
  teacher: "the teacher's spec file",
  teacherWeights: "the teacher's trained weights folder (esnac format)",
  dataset: 'the dataset name given to compress (mnist, cifar10:DIR...)',
  data: 'a folder holding the run\'s train/validation split as float32 files (see docs/slurm.md, "Dataset files")',
  epochs: 'distillation epochs per candidate',
  batchSize: 'training batch size',
  learningRate: 'Adam learning rate',
  weightDecay: 'weight decay',
  distillation: 'mse or kl',
  temperature: 'the kl temperature',
  seed: "the run's seed",
  attempt: 'the attempt number, from 1',
  esnac: 'the esnac command line script (bin/esnac.js), for `esnac export`',
  stdout: "slurm job templates: the job's standard output file",
  stderr: "slurm job templates: the job's standard error file (its tail explains a failure)",
  command: 'slurm job templates: the command template, substituted and quoted for the shell',
  timeMinutes: 'slurm job templates: a time limit a minute above the timeout (0 without one)',
  onnx: 'latency commands (--latency-command): the ONNX model to time',
} as const;

export type Placeholder = keyof typeof PLACEHOLDERS;
export type Values = Partial<Record<Placeholder, string>>;

const PLACEHOLDER = /\{([A-Za-z]+)\}/g;

/** The placeholders a template uses; a UserError naming `where` for an unknown one. */
export function placeholdersOf(template: string, where: string, allowed: readonly Placeholder[] = Object.keys(PLACEHOLDERS) as Placeholder[]): Set<Placeholder> {
  const used = new Set<Placeholder>();
  for (const [, name] of template.matchAll(PLACEHOLDER)) {
    if (!(allowed as readonly string[]).includes(name)) {
      throw new UserError(`${where}: unknown placeholder {${name}}; known: ${allowed.map((p) => `{${p}}`).join(' ')}`);
    }
    used.add(name as Placeholder);
  }
  return used;
}

/** Replaces every placeholder in `text` by `quote(value)`; each must have a value by now. */
export function substitute(text: string, values: Values, quote: (value: string) => string = (v) => v): string {
  return text.replace(PLACEHOLDER, (_, name: string) => {
    const value = values[name as Placeholder];
    if (value === undefined) throw new Error(`no value for the placeholder {${name}}`);
    return quote(value);
  });
}

/**
 * Splits a command template into arguments as a POSIX shell would split words: blanks separate,
 * 'single quotes' keep everything, "double quotes" keep everything but \" and \\, a backslash
 * outside quotes keeps the next character. No variables, globs, pipes or redirections.
 */
export function splitArguments(template: string, where: string): string[] {
  const args: string[] = [];
  let current: string | undefined;
  let i = 0;
  const append = (s: string) => (current = (current ?? '') + s);
  while (i < template.length) {
    const ch = template[i];
    if (/\s/.test(ch)) {
      if (current !== undefined) args.push(current);
      current = undefined;
      i++;
    } else if (ch === "'") {
      const end = template.indexOf("'", i + 1);
      if (end < 0) throw new UserError(`${where}: a ' quote is not closed`);
      append(template.slice(i + 1, end));
      i = end + 1;
    } else if (ch === '"') {
      i++;
      append('');
      while (i < template.length && template[i] !== '"') {
        const escaped = template[i] === '\\' && (template[i + 1] === '"' || template[i + 1] === '\\');
        append(escaped ? template[i + 1] : template[i]);
        i += escaped ? 2 : 1;
      }
      if (i >= template.length) throw new UserError(`${where}: a " quote is not closed`);
      i++;
    } else if (ch === '\\') {
      if (i + 1 >= template.length) throw new UserError(`${where}: ends with a lone backslash`);
      append(template[i + 1]);
      i += 2;
    } else {
      append(ch);
      i++;
    }
  }
  if (current !== undefined) args.push(current);
  if (args.length === 0) throw new UserError(`${where}: the command is empty`);
  return args;
}

/**
 * For templates a shell reads: a UserError when a placeholder sits inside quotes, where the value,
 * quoted again, would be read by the shell ("{name}" would run a $(...) in a name).
 */
export function refuseQuotedPlaceholders(template: string, where: string): void {
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < template.length; i++) {
    const ch = template[i];
    if (quote !== "'" && ch === '\\') {
      i++;
    } else if (quote === undefined && (ch === "'" || ch === '"')) {
      quote = ch;
    } else if (ch === quote) {
      quote = undefined;
    } else if (quote !== undefined && ch === '{') {
      const placeholder = /^\{([A-Za-z]+)\}/.exec(template.slice(i));
      if (placeholder && placeholder[1] in PLACEHOLDERS) {
        throw new UserError(`${where}: the placeholder {${placeholder[1]}} is inside ${quote} quotes; write it bare (esnac quotes every value for the shell)`);
      }
    }
  }
}

/** One argument as POSIX shell text that means exactly that string. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
