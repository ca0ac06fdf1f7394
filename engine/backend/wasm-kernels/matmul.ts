// BatchMatMul with transposed operands: the stock wasm kernel uses XNNPACK only without
// transposes and a slow loop otherwise, and matMul's gradients always transpose one operand.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { release, transposeLastTwo } from './calls';

/** Transposes the operands first, then runs `stock` (the wasm kernel) without transposes. */
export function batchMatMulTransposingFirst(stock: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return stock({ inputs, backend, attrs });
    const wasm = backend as BackendWasm;
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const plainA = transposeA ? transposeLastTwo(wasm, a) : a;
    const plainB = transposeB ? transposeLastTwo(wasm, b) : b;
    const out = stock({
      inputs: { a: plainA, b: plainB },
      backend,
      attrs: { ...attrs, transposeA: false, transposeB: false },
    });
    if (transposeA) release(wasm, plainA);
    if (transposeB) release(wasm, plainB);
    return out;
  };
}
