// Seconds to load an image folder (folder:DIR) the first time in a process, which decodes every
// image, and again, which the per-process decode cache (engine/data/images.ts) answers. A search
// loads its dataset several times per thread (preprocessing, teacher, each worker's setup,
// fine-tuning, the export for external trainers); without the cache each load cost the first's.
// Usage: npm run bench -- image-decode [--images 600] [--size 96] [--input 32] [--loads 4]
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../engine/data';
import { decodeCacheSize, loadSharp } from '../engine/data/images';
import { Rng } from '../engine/util/rng';
import { writeResults } from './_results';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const CLASSES = 4;

/** `count` noisy JPEGs of `size`x`size` (odd aspect every third image), split over the classes. */
async function writeImages(dir: string, count: number, size: number): Promise<void> {
  const sharp = loadSharp();
  const rng = new Rng(0);
  for (let c = 0; c < CLASSES; c++) mkdirSync(join(dir, `class${c}`), { recursive: true });
  for (let i = 0; i < count; i++) {
    const [w, h] = i % 3 === 0 ? [size + 17, size] : [size, size];
    const pixels = Buffer.from(Array.from({ length: w * h * 3 }, () => rng.int(0, 255)));
    await sharp(pixels, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toFile(join(dir, `class${i % CLASSES}`, `${i}.jpg`));
  }
}

async function main(): Promise<void> {
  const images = flag('images', 600);
  const size = flag('size', 96);
  const inputSize = flag('input', 32);
  const loads = flag('loads', 4);
  const dir = mkdtempSync(join(tmpdir(), 'esnac-bench-decode-'));
  try {
    await writeImages(dir, images, size);
    const input = { channels: 3, height: inputSize, width: inputSize };
    const seconds: number[] = [];
    for (let i = 0; i < loads; i++) {
      const started = performance.now();
      await loadDataset(`folder:${dir}`, { input, seed: 1 });
      seconds.push((performance.now() - started) / 1000);
    }
    const warm = seconds.slice(1).reduce((a, b) => a + b, 0) / (loads - 1);
    const cache = decodeCacheSize();
    const rows = seconds.map((s, i) => `  load ${i + 1}: ${s.toFixed(3)} s${i === 0 ? ' (decodes)' : ' (cache)'}`);
    process.stdout.write(`${images} JPEGs of ${size}x${size} to ${inputSize}x${inputSize}x3, ${loads} loads in one process\n${rows.join('\n')}\n`);
    process.stdout.write(`first load / later load: ${(seconds[0] / warm).toFixed(1)}x; cache: ${cache.images} images, ${(cache.bytes / 2 ** 20).toFixed(2)} MiB\n`);
    process.stdout.write(`a search loading ${loads} times per thread: ${(seconds[0] * loads).toFixed(2)} s without the cache, ${seconds.reduce((a, b) => a + b, 0).toFixed(2)} s with it\n`);
    const path = writeResults('image-decode', { images, size, input, loads, seconds, firstOverLater: seconds[0] / warm, cache });
    process.stdout.write(`wrote ${path}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
