// Windows bitmaps, which sharp (libvips without ImageMagick) does not read: uncompressed 8-bit
// palette, 24-bit and 32-bit images (BI_RGB, and BI_BITFIELDS with the usual masks), bottom-up or
// top-down. That covers what image libraries write; anything else is refused by name.

export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
}

const BI_RGB = 0;
const BI_BITFIELDS = 3;

export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

/** RGB pixels, top row first; throws an Error saying what is unsupported or damaged. */
export function decodeBmp(bytes: Uint8Array): RawImage {
  if (bytes.length < 54) throw new Error('truncated BMP header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  if (headerSize < 40) throw new Error(`BMP header of ${headerSize} bytes (OS/2 bitmaps) is not supported`);
  const width = view.getInt32(18, true);
  const rawHeight = view.getInt32(22, true);
  const bits = view.getUint16(28, true);
  const compression = view.getUint32(30, true);
  const height = Math.abs(rawHeight);
  if (width <= 0 || height === 0) throw new Error(`BMP of ${width}x${rawHeight} pixels`);
  if (!(compression === BI_RGB || (compression === BI_BITFIELDS && bits === 32)) || ![8, 24, 32].includes(bits)) {
    throw new Error(`BMP with ${bits} bits per pixel and compression ${compression} is not supported (uncompressed 8, 24 or 32 bits are)`);
  }
  const rowBytes = Math.ceil((width * bits) / 32) * 4;
  if (dataOffset + rowBytes * height > bytes.length) throw new Error('truncated BMP pixel data');
  const paletteStart = 14 + headerSize;
  const paletteSize = view.getUint32(46, true) || 256;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (rawHeight > 0 ? height - 1 - y : y) * rowBytes;
    for (let x = 0; x < width; x++) {
      let at: number;
      if (bits === 8) {
        const index = bytes[row + x];
        if (index >= paletteSize) throw new Error(`BMP palette index ${index} out of range`);
        at = paletteStart + 4 * index;
      } else {
        at = row + x * (bits / 8);
      }
      const o = (y * width + x) * 3;
      data[o] = bytes[at + 2];
      data[o + 1] = bytes[at + 1];
      data[o + 2] = bytes[at];
    }
  }
  return { data, width, height, channels: 3 };
}
