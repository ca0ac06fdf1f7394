// One image file as the network's input bytes: decoded with sharp (PNG, JPEG, WebP, GIF, TIFF;
// BMP by engine/data/bmp.ts), resized as torchvision's default transforms do (Resize(shorter
// side) then CenterCrop: scaled to cover the target, the centre kept; bilinear, antialiased when
// shrinking), converted to the channels the network takes.
import { readFile, stat } from 'node:fs/promises';
import type { Sharp } from 'sharp';
import { errorMessage, UserError } from '../util/errors';
import { decodeBmp, isBmp } from './bmp';
import { ImageShape, pixelsPerImage } from './types';

/** The extensions read, as torchvision's IMG_EXTENSIONS (less .ppm/.pgm, which sharp lacks), and .gif. */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp', '.gif'];

export function isImageFile(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

type SharpModule = typeof import('sharp').default;
let sharpModule: SharpModule | undefined;

/**
 * sharp is native (one build per platform), so it is loaded when an image folder is read, and is
 * left out of the extension's bundles (a plain require of a computed specifier, as for tfjs-node):
 * the package carries it beside them in dist/node_modules (scripts/build.mjs).
 */
export function loadSharp(): SharpModule {
  const specifier: string = 'sharp';
  try {
    sharpModule ??= require(specifier) as SharpModule;
    return sharpModule;
  } catch (err) {
    throw new UserError(`image folders are decoded with the sharp package, which did not load here (${errorMessage(err).split('\n')[0]}): the extension carries sharp for the platform it was packaged on; elsewhere, and for the CLI, run npm install sharp where esnac runs`);
  }
}

/**
 * Decoded images kept per process (per worker thread: each has its own module state), so the
 * loads of one run (its preprocessing, the teacher, every worker's setup, fine-tuning, the test
 * split, the export for external trainers) decode each file once. Bytes beyond the budget are
 * decoded again on each load; the cache only grows, as a run reloads the same files.
 */
export const DECODE_CACHE_BYTES = 512 * 2 ** 20;
const decoded = new Map<string, Uint8Array>();
let cachedBytes = 0;

/** The file as it is now (path, size, modification time) and the shape it is decoded to. */
function cacheKey(file: string, size: number, mtimeMs: number, input: ImageShape): string {
  return JSON.stringify([file, size, mtimeMs, input.height, input.width, input.channels]);
}

/** Images in the decode cache and their bytes (benchmarks and tests). */
export function decodeCacheSize(): { images: number; bytes: number } {
  return { images: decoded.size, bytes: cachedBytes };
}

/**
 * HWC bytes of `input`'s size and channels; rejects with the decoder's message when unreadable.
 * A file decoded before (same path, size and modification time) comes from the cache: callers
 * copy the bytes and never write to them.
 */
export async function decodeImage(file: string, input: ImageShape): Promise<Uint8Array> {
  const { size, mtimeMs } = await stat(file);
  const key = cacheKey(file, size, mtimeMs, input);
  const hit = decoded.get(key);
  if (hit) return hit;
  const pixels = await decodeFile(file, input);
  if (cachedBytes + pixels.byteLength <= DECODE_CACHE_BYTES) {
    // A view on a larger buffer would keep all of it alive.
    decoded.set(key, pixels.byteLength === pixels.buffer.byteLength ? pixels : pixels.slice());
    cachedBytes += pixels.byteLength;
  }
  return pixels;
}

async function decodeFile(file: string, input: ImageShape): Promise<Uint8Array> {
  const sharp = loadSharp();
  const bytes = await readFile(file);
  let image: Sharp;
  if (isBmp(bytes)) {
    const bmp = decodeBmp(bytes);
    image = sharp(bmp.data, { raw: { width: bmp.width, height: bmp.height, channels: bmp.channels } });
  } else {
    // failOn 'error': a truncated JPEG is refused rather than padded with grey.
    image = sharp(bytes, { failOn: 'error' });
  }
  // Alpha is dropped first, not composited (PIL's convert('RGB'), as torchvision's loader does);
  // resizing with alpha would premultiply and shift the colours by rounding.
  const opaque = await image.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  const resized = sharp(opaque.data, { raw: { width: opaque.info.width, height: opaque.info.height, channels: opaque.info.channels } })
    .resize(input.width, input.height, { fit: 'cover', position: 'centre', kernel: 'linear' });
  const grey = opaque.info.channels === 1;
  const { data, info } = await (grey && input.channels === 1 ? resized : resized.toColourspace('srgb')).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  const pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = info.channels === 3 && input.channels === 1 ? luma(pixels) : pixels;
  if (out.length !== pixelsPerImage(input)) {
    throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${input.width}x${input.height}x${input.channels}`);
  }
  return out;
}

/** PIL's convert('L') (torchvision's Grayscale): ITU-R 601-2 luma in 16-bit fixed point. */
function luma(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgb.length / 3);
  for (let i = 0; i < out.length; i++) out[i] = (rgb[3 * i] * 19595 + rgb[3 * i + 1] * 38470 + rgb[3 * i + 2] * 7471 + 0x8000) >> 16;
  return out;
}
