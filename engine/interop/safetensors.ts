// The safetensors format: an 8-byte little-endian header length, a JSON header naming each
// tensor's dtype, shape and byte range, then the raw little-endian data.
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** A .safetensors file of float32 tensors, in the given order. */
export function encodeSafetensors(tensors: NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // The data starts 8-byte aligned; the header is padded with spaces, as the format allows.
  const padded = new Uint8Array(json.length + ((8 - (json.length % 8)) % 8)).fill(0x20);
  padded.set(json);
  const bytes = new Uint8Array(8 + padded.length + offset);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(padded.length), true);
  bytes.set(padded, 8);
  let at = 8 + padded.length;
  for (const t of tensors) {
    const data = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    for (let i = 0; i < t.data.length; i++) view.setFloat32(at + 4 * i, data.getFloat32(4 * i, true), true);
    at += t.data.byteLength;
  }
  return bytes;
}
