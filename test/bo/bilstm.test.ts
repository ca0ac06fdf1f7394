import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { BiLstmEmbedding, BiLstmOptions } from '../../engine/bo/embedding/bilstm';
import { EncodedArchitecture } from '../../engine/space/encoding';
import { base64ToFloat32 } from '../../engine/bo/embedding/float32-base64';
import { UserError } from '../../engine/util/errors';
import { Rng } from '../../engine/util/rng';
import { randomEncoding } from './helpers';

before(async () => {
  await tf.setBackend('cpu');
});

function embedRows(model: BiLstmEmbedding, batch: EncodedArchitecture[]): number[][] {
  const e = model.embed(batch);
  const rows = e.arraySync();
  e.dispose();
  return rows;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** A scalar-loop Bi-LSTM on one sequence, from the saved weights (PyTorch layout, gate rows i, f, g, o). */
function referenceEmbedding(model: BiLstmEmbedding, arch: EncodedArchitecture): number[] {
  const { layers, hidden: h } = model.options;
  const weights = model.toJSON().weights.map((w) => base64ToFloat32(w)!);
  let sequence = Array.from({ length: arch.rows }, (_, t) => Array.from(arch.data.subarray(t * arch.width, (t + 1) * arch.width)));
  for (let l = 0; l < layers; l++) {
    const run = (offset: number, reverse: boolean): number[][] => {
      const [w, u, b] = weights.slice(offset, offset + 3);
      const out: number[][] = [];
      let hPrev = new Array(h).fill(0);
      let cPrev = new Array(h).fill(0);
      const order = sequence.map((_, t) => (reverse ? sequence.length - 1 - t : t));
      for (const t of order) {
        const x = sequence[t];
        const gate = (row: number) => b[row] + x.reduce((s, xi, i) => s + xi * w[row * x.length + i], 0) + hPrev.reduce((s, hi, i) => s + hi * u[row * h + i], 0);
        const c = hPrev.map((_, k) => sigmoid(gate(h + k)) * cPrev[k] + sigmoid(gate(k)) * Math.tanh(gate(2 * h + k)));
        hPrev = c.map((ck, k) => sigmoid(gate(3 * h + k)) * Math.tanh(ck));
        cPrev = c;
        out[t] = hPrev;
      }
      return out;
    };
    const forward = run(6 * l, false);
    const backward = run(6 * l + 3, true);
    sequence = forward.map((f, t) => [...f, ...backward[t]]);
  }
  const mean = sequence[0].map((_, k) => sequence.reduce((s, row) => s + row[k], 0) / sequence.length);
  const norm = Math.hypot(...mean);
  return mean.map((v) => v / norm);
}

test('default Bi-LSTM: 128-wide, L2-normalised rows', () => {
  const rng = new Rng(1);
  const model = new BiLstmEmbedding({}, rng);
  const batch = [randomEncoding(4, 272, rng), randomEncoding(4, 272, rng), randomEncoding(4, 272, rng)];
  const rows = embedRows(model, batch);
  assert.equal(rows.length, 3);
  for (const row of rows) {
    assert.equal(row.length, 128);
    assert.ok(Math.abs(Math.hypot(...row) - 1) < 1e-5);
  }
  assert.equal(model.variables.length, 4 * 2 * 3);
  model.dispose();
});

test('matches a scalar reference implementation', () => {
  const rng = new Rng(2);
  const options: BiLstmOptions = { layers: 2, hidden: 3, inputWidth: 5 };
  const model = new BiLstmEmbedding(options, rng);
  const batch = [randomEncoding(4, 5, rng, 2), randomEncoding(4, 5, rng, 2)];
  const rows = embedRows(model, batch);
  batch.forEach((arch, b) => {
    const expected = referenceEmbedding(model, arch);
    expected.forEach((v, k) => assert.ok(Math.abs(rows[b][k] - v) < 1e-5, `architecture ${b}, dim ${k}: ${rows[b][k]} vs ${v}`));
  });
  model.dispose();
});

test('same seed, same embedding; another seed, another', () => {
  const options = { layers: 2, hidden: 8, inputWidth: 12 };
  const batch = [randomEncoding(5, 12, new Rng(9))];
  const embedWithSeed = (seed: number) => {
    const model = new BiLstmEmbedding(options, new Rng(seed));
    const rows = embedRows(model, batch);
    model.dispose();
    return rows;
  };
  assert.deepEqual(embedWithSeed(3), embedWithSeed(3));
  assert.notDeepEqual(embedWithSeed(3), embedWithSeed(4));
});

test('a batch of mixed lengths keeps batch order and equals embedding one by one', () => {
  const rng = new Rng(5);
  const model = new BiLstmEmbedding({ layers: 2, hidden: 6, inputWidth: 10 }, rng);
  const batch = [randomEncoding(3, 10, rng), randomEncoding(6, 10, rng), randomEncoding(3, 10, rng), randomEncoding(1, 10, rng), randomEncoding(6, 10, rng)];
  const together = embedRows(model, batch);
  batch.forEach((arch, b) => {
    const [alone] = embedRows(model, [arch]);
    alone.forEach((v, k) => assert.ok(Math.abs(together[b][k] - v) < 1e-6));
  });
  model.dispose();
});

test('JSON round trip gives the same embedding and no leaked tensors', () => {
  const before = tf.memory().numTensors;
  const rng = new Rng(6);
  const model = new BiLstmEmbedding({ layers: 2, hidden: 4, inputWidth: 7 }, rng);
  const batch = [randomEncoding(3, 7, rng)];
  const restored = BiLstmEmbedding.fromJSON(JSON.parse(JSON.stringify(model.toJSON())), 'kernel.json');
  assert.deepEqual(embedRows(restored, batch), embedRows(model, batch));
  model.dispose();
  restored.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('fromJSON rejects a damaged file with a UserError naming it', () => {
  const model = new BiLstmEmbedding({ layers: 1, hidden: 2, inputWidth: 3 }, new Rng(1));
  const json = model.toJSON();
  model.dispose();
  assert.throws(() => BiLstmEmbedding.fromJSON({ ...json, weights: json.weights.slice(1) }, 'run/k0.json'), (e: unknown) => e instanceof UserError && e.message.startsWith('run/k0.json:'));
  assert.throws(() => BiLstmEmbedding.fromJSON({ ...json, hidden: 3 }, 'run/k0.json'), UserError);
});

test('rejects rows of the wrong width', () => {
  const model = new BiLstmEmbedding({ layers: 1, hidden: 2, inputWidth: 3 }, new Rng(1));
  assert.throws(() => model.embed([randomEncoding(2, 4, new Rng(1))]), /width 3/);
  model.dispose();
});
