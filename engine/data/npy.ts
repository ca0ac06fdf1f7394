// NumPy's files without NumPy: .npy arrays (format versions 1-3, little-endian, C order) and .npz
// archives (a zip of .npy files, stored or deflated, as np.savez and np.savez_compressed write
// them; numpy writes zip64 records, so those are read too).
import { inflateRawSync } from 'node:zlib';
import { fileError } from './files';
import { errorMessage } from '../util/errors';

export type NpyData = Uint8Array | Int32Array | Float32Array;

export interface NpyArray {
  /** The dtype as numpy spells it (`<f4`, `|u1`...). */
  dtype: string;
  shape: number[];
  /** uint8 stays bytes; float32/float64 become Float32Array; integer dtypes become Int32Array. */
  data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

interface Reader {
  bytes: number;
  read(view: DataView, offset: number): number;
  to: 'u8' | 'i32' | 'f32';
}

const DTYPES: Record<string, Reader> = {
  u1: { bytes: 1, read: (v, o) => v.getUint8(o), to: 'u8' },
  i1: { bytes: 1, read: (v, o) => v.getInt8(o), to: 'i32' },
  u2: { bytes: 2, read: (v, o) => v.getUint16(o, true), to: 'i32' },
  i2: { bytes: 2, read: (v, o) => v.getInt16(o, true), to: 'i32' },
  i4: { bytes: 4, read: (v, o) => v.getInt32(o, true), to: 'i32' },
  u4: { bytes: 4, read: (v, o) => v.getUint32(o, true), to: 'i32' },
  i8: { bytes: 8, read: (v, o) => Number(v.getBigInt64(o, true)), to: 'i32' },
  u8: { bytes: 8, read: (v, o) => Number(v.getBigUint64(o, true)), to: 'i32' },
  f4: { bytes: 4, read: (v, o) => v.getFloat32(o, true), to: 'f32' },
  f8: { bytes: 8, read: (v, o) => v.getFloat64(o, true), to: 'f32' },
};

function headerField(header: string, key: string, file: string): string {
  const match = new RegExp(`['"]${key}['"]\\s*:\\s*('[^']*'|"[^"]*"|True|False|\\([^)]*\\))`).exec(header);
  if (!match) throw fileError(file, `the .npy header has no '${key}': ${header.trim()}`);
  return match[1];
}

/** Parses one .npy file's bytes; `file` names it in errors (e.g. `data.npz/x_train.npy`). */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw fileError(file, 'not a .npy array (no \\x93NUMPY magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  if (major < 1 || major > 3) throw fileError(file, `.npy format version ${major} is not supported (1-3 are)`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const dataStart = headerStart + headerLength;
  if (bytes.length < dataStart) throw fileError(file, 'truncated .npy header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));
  const descr = headerField(header, 'descr', file).slice(1, -1);
  if (headerField(header, 'fortran_order', file) === 'True') throw fileError(file, 'Fortran-order arrays are not supported: save with np.ascontiguousarray');
  const shapeText = headerField(header, 'shape', file).slice(1, -1);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw fileError(file, `bad shape (${shapeText})`);
  const order = descr[0];
  const reader = DTYPES[descr.slice(1)];
  if (!reader || order === '>' || (reader.bytes > 1 && order === '|')) {
    throw fileError(file, `dtype ${descr} is not supported (little-endian uint8, integers, float32 or float64 are)`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = count * reader.bytes;
  if (bytes.length - dataStart < expected) throw fileError(file, `truncated: shape (${shape.join(', ')}) of ${descr} needs ${expected} bytes, the file has ${bytes.length - dataStart}`);
  if (reader.to === 'u8') return { dtype: descr, shape, data: bytes.slice(dataStart, dataStart + count) };
  const data = reader.to === 'f32' ? new Float32Array(count) : new Int32Array(count);
  for (let i = 0; i < count; i++) data[i] = reader.read(view, dataStart + i * reader.bytes);
  return { dtype: descr, shape, data };
}

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_EOCD_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX32 = 0xffffffff;

function findEndOfCentralDirectory(view: DataView, file: string): number {
  for (let at = view.byteLength - 22; at >= Math.max(0, view.byteLength - 22 - 0xffff); at--) {
    if (view.getUint32(at, true) === EOCD) return at;
  }
  throw fileError(file, 'not a zip archive (no end of central directory): .npz files are written by np.savez');
}

/** The zip's entries from its central directory, zip64 sizes and offsets included. */
function zipEntries(bytes: Uint8Array, file: string): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = findEndOfCentralDirectory(view, file);
  let entries = view.getUint16(end + 10, true);
  let offset = view.getUint32(end + 16, true);
  if ((offset === MAX32 || entries === 0xffff) && end >= 20 && view.getUint32(end - 20, true) === ZIP64_EOCD_LOCATOR) {
    const zip64End = Number(view.getBigUint64(end - 12, true));
    entries = Number(view.getBigUint64(zip64End + 32, true));
    offset = Number(view.getBigUint64(zip64End + 48, true));
  }
  const list: ZipEntry[] = [];
  for (let i = 0; i < entries; i++) {
    if (offset + 46 > bytes.length || view.getUint32(offset, true) !== CENTRAL) throw fileError(file, 'damaged zip central directory');
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    const entry: ZipEntry = {
      name: new TextDecoder().decode(bytes.subarray(offset + 46, offset + 46 + nameLength)),
      method: view.getUint16(offset + 10, true),
      compressedSize: view.getUint32(offset + 20, true),
      size: view.getUint32(offset + 24, true),
      localOffset: view.getUint32(offset + 42, true),
    };
    readZip64Extra(view, offset + 46 + nameLength, extraLength, entry);
    list.push(entry);
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return list;
}

/** Replaces the 0xffffffff placeholders with the zip64 extra field's values, in the zip's order. */
function readZip64Extra(view: DataView, start: number, length: number, entry: ZipEntry): void {
  for (let at = start; at + 4 <= start + length; ) {
    const id = view.getUint16(at, true);
    const size = view.getUint16(at + 2, true);
    if (id === 0x0001) {
      let field = at + 4;
      const next = () => {
        const value = Number(view.getBigUint64(field, true));
        field += 8;
        return value;
      };
      if (entry.size === MAX32) entry.size = next();
      if (entry.compressedSize === MAX32) entry.compressedSize = next();
      if (entry.localOffset === MAX32) entry.localOffset = next();
    }
    at += 4 + size;
  }
}

function entryBytes(bytes: Uint8Array, entry: ZipEntry, file: string): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localOffset;
  if (at + 30 > bytes.length || view.getUint32(at, true) !== LOCAL) throw fileError(`${file}/${entry.name}`, 'damaged zip entry');
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  const stored = bytes.subarray(start, start + entry.compressedSize);
  if (stored.length < entry.compressedSize) throw fileError(`${file}/${entry.name}`, 'truncated zip entry');
  if (entry.method === 0) return stored;
  if (entry.method !== 8) throw fileError(`${file}/${entry.name}`, `zip compression method ${entry.method} is not supported (stored or deflated are)`);
  try {
    return inflateRawSync(stored);
  } catch (err) {
    throw fileError(`${file}/${entry.name}`, `deflated data is broken (${errorMessage(err)})`);
  }
}

/** An .npz archive's array names (without `.npy`), and the `wanted` ones decoded. */
export function parseNpz(bytes: Uint8Array, file: string, wanted: readonly string[]): { names: string[]; arrays: Map<string, NpyArray> } {
  const arrays = new Map<string, NpyArray>();
  const names: string[] = [];
  for (const entry of zipEntries(bytes, file)) {
    const name = entry.name.replace(/\.npy$/, '');
    names.push(name);
    if (wanted.includes(name)) arrays.set(name, parseNpy(entryBytes(bytes, entry, file), `${file}/${entry.name}`));
  }
  return { names, arrays };
}
