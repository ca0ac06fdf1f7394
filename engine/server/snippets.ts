// Layer snippets for completion: one layer, a conv-bn-activation block and a residual block,
// written as YAML list items or JSON objects at the cursor's indentation. Ids share one prefix
// (the first tab stop, so renaming the block is one edit) chosen not to clash with the file's
// ids; channels follow the layer the block reads, so the residual sum fits.
import { ACTIVATION_TYPES } from '../architecture/types';
import type { SpecFormat } from '../architecture/write';

/** A value in a snippet: a literal, snippet syntax (tab stops) for a string or a number, or a list of ids (which may be tab stops). */
type Value = { literal: string | number | boolean } | { stop: string; number?: true } | { ids: string[] };

type LayerTemplate = [key: string, value: Value][];

export interface SnippetContext {
  format: SpecFormat;
  /** Whitespace before the snippet's first line, repeated on the lines after it. */
  indent: string;
  /** The id of the layer the block reads ('input' for the first). */
  previous: string;
  /** The channels the previous layer gives, when known. */
  channels?: number;
  /** Ids in the file, so the new prefix is fresh. */
  taken: Set<string>;
}

export interface Snippet {
  label: string;
  detail: string;
  text: string;
}

const ACTIVATION_CHOICE = `\${3|${ACTIVATION_TYPES.join(',')}|}`;

export function layerSnippets(context: SnippetContext): Snippet[] {
  const channels: Value = { stop: `\${2:${context.channels ?? 16}}`, number: true };
  const lit = (literal: string | number | boolean): Value => ({ literal });
  const stop = (text: string): Value => ({ stop: text });
  const id = (prefix: string, suffix: string): Value => ({ stop: `\${1:${prefix}}${suffix}` });
  const convBn = (prefix: string, first: boolean, n: string): LayerTemplate[] => [
    [['id', first ? id(prefix, `.conv${n}`) : stop(`$1.conv${n}`)], ['type', lit('conv')], ['out', channels], ['kernel', lit(3)], ['padding', lit(1)], ['bias', lit(false)]],
    [['id', stop(`$1.bn${n}`)], ['type', lit('batchnorm')]],
  ];
  const layer = fresh('conv', context.taken);
  const block = fresh('block', context.taken);
  const res = fresh('res', context.taken);
  const templates: [label: string, detail: string, layers: LayerTemplate[]][] = [
    ['layer', 'a conv layer', [[['id', { stop: `\${1:${layer}}` }], ['type', lit('conv')], ['out', channels], ['kernel', lit(3)]]]],
    ['conv-bn-relu', 'a convolution, batch normalisation and an activation', [...convBn(block, true, ''), [['id', stop('$1.act')], ['type', stop(ACTIVATION_CHOICE)]]]],
    [
      'residual block',
      `two conv-bn layers added to their input '${context.previous}' (ResNet's basic block)`,
      [
        ...convBn(res, true, '1'),
        [['id', stop('$1.act1')], ['type', stop(ACTIVATION_CHOICE)]],
        ...convBn(res, false, '2'),
        [['id', stop('$1.add')], ['type', lit('identity')], ['inputs', { ids: ['$1.bn2', context.previous] }]],
        [['id', stop('$1.act2')], ['type', stop('$3')]],
      ],
    ],
  ];
  return templates.map(([label, detail, layers]) => ({ label, detail, text: render(layers, context) }));
}

function fresh(stem: string, taken: Set<string>): string {
  const used = (prefix: string) => [...taken].some((id) => id === prefix || id.startsWith(`${prefix}.`));
  let n = 1;
  while (used(`${stem}${n}`)) n++;
  return `${stem}${n}`;
}

/** Literal text in a snippet: $, } and \ escaped. */
function escape(text: string): string {
  return text.replace(/[$}\\]/g, (ch) => `\\${ch}`);
}

function render(layers: LayerTemplate[], { format, indent }: SnippetContext): string {
  const json = format === 'json';
  const quote = (text: string) => (json ? `"${text}"` : text);
  const value = (v: Value): string => {
    if ('literal' in v) return escape(typeof v.literal === 'string' ? quote(v.literal) : String(v.literal));
    if ('stop' in v) return v.number ? v.stop : quote(v.stop);
    // Ids of the file are plain (the schema's pattern) and need no escape beyond the snippet's.
    return `[${v.ids.map((i) => quote(i.startsWith('$') ? i : escape(i))).join(', ')}]`;
  };
  const close = escape('}');
  const lines = layers.flatMap((layer, n) => {
    if (!json) return layer.map(([key, v], i) => `${i === 0 ? '- ' : '  '}${key}: ${value(v)}`);
    const properties = layer.map(([key, v], i) => `  "${key}": ${value(v)}${i < layer.length - 1 ? ',' : ''}`);
    return ['{', ...properties, n < layers.length - 1 ? `${close},` : close];
  });
  return lines.map((l, i) => (i === 0 ? l : `${indent}${l}`)).join('\n');
}
