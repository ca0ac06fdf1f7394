// `esnac encode FILE [--json]`: the layer-sequence encoding the kernel reads (paper appendix 6.2),
// for inspection.
import { Command, InvalidArgumentError } from 'commander';
import { decodeRow, DEFAULT_EDGE_WINDOW, ENCODING_ATTRIBUTES, encodeArchitecture } from '../space/encoding';
import { resolveGraph } from '../architecture/graph';
import { loadSpecFile } from '../architecture/validate';
import { print } from './output';

export function register(program: Command): void {
  program
    .command('encode')
    .description('print the layer encoding of an architecture (one row per layer: type, attributes, edge offsets)')
    .argument('<file>', 'spec file')
    .option('--json', 'print {"rows", "width", "layers": [ids], "matrix": [[...]]}')
    .option('--edge-window <n>', `largest edge offset encoded (default ${DEFAULT_EDGE_WINDOW})`, (value) => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected an integer >= 1');
      return n;
    })
    .action(async (file: string, options: { json?: boolean; edgeWindow?: number }) => {
      print(await encodeReport(file, options.json === true, options.edgeWindow));
    });
}

export async function encodeReport(file: string, json: boolean, edgeWindow?: number): Promise<string> {
  const spec = await loadSpecFile(file);
  const encoded = encodeArchitecture(spec, { edgeWindow });
  const ids = resolveGraph(spec).order.map((e) => e.layer.id);
  if (json) {
    const matrix = ids.map((_, r) => Array.from(encoded.data.subarray(r * encoded.width, (r + 1) * encoded.width)));
    return JSON.stringify({ rows: encoded.rows, width: encoded.width, layers: ids, matrix }) + '\n';
  }
  const lines = ids.map((id, r) => {
    const row = decodeRow(encoded, r);
    const attributes = row.attributes.map((v, k) => (v === 0 ? '' : `${ENCODING_ATTRIBUTES[k]}=${v}`)).filter((s) => s !== '').join(' ');
    const edges = [...row.incoming.map((d) => `-${d}`), ...row.outgoing.map((d) => `+${d}`)].join(' ');
    return `${String(r).padStart(4)}  ${id}  ${row.type}  ${attributes || '-'}  edges ${edges || '-'}`;
  });
  return `${spec.name}: ${encoded.rows} rows x ${encoded.width}\n${lines.join('\n')}\n`;
}
