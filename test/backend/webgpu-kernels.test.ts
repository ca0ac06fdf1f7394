// tfjs's WebGPU kernels against the reference 'cpu' backend, on whatever adapter Dawn offers here
// (a software Vulkan such as Mesa's llvmpipe is enough: the shaders are the same). Skipped where
// no adapter can be made. The grid is the wasm kernels' (on llvmpipe, 2 cores: about 25 s).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { BackendInfo, initBackend, isGpuBackend } from '../../engine/backend/index';
import { isSoftwareAdapter } from '../../engine/backend/webgpu';
import { Rng } from '../../engine/util/rng';
import { assertMatchesCpu, assertTrainsTinyConvNet, conv2dCases, depthwiseCases, KernelCase, matMulCases, tileCases } from './kernel-grid';

test('adapters are told apart by their info', () => {
  const lavapipe = { vendor: 'mesa', architecture: '', device: 'llvmpipe-llvm-15', description: 'llvmpipe: Mesa 25.0.7' };
  assert.equal(isSoftwareAdapter(lavapipe), true);
  assert.equal(isSoftwareAdapter({ description: 'SwiftShader Device (Subzero)' }), true);
  assert.equal(isSoftwareAdapter({ description: 'Microsoft Basic Render Driver' }), true);
  assert.equal(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3' }), false);
  assert.equal(isSoftwareAdapter({ vendor: 'nvidia', description: 'NVIDIA H100' }, true), true);
  assert.equal(isSoftwareAdapter({ vendor: 'nvidia', isFallbackAdapter: true }), true);
});

/** The backend forced to webgpu, or why it cannot load here. */
async function loadWebGpu(): Promise<BackendInfo | string> {
  try {
    return await initBackend('webgpu');
  } catch (err) {
    return `no WebGPU here: ${err instanceof Error ? err.message : String(err)}`;
  }
}

describe('webgpu kernels match cpu', async () => {
  const loaded = await loadWebGpu();
  if (typeof loaded === 'string') {
    test('webgpu backend', { skip: loaded }, () => {});
    return;
  }
  // Small tensors still on the CPU would otherwise run on tfjs's cpu kernels (tile, transpose).
  const forward = tf.env().getBool('WEBGPU_CPU_FORWARD');
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  let worst = 0;
  after(() => {
    tf.env().set('WEBGPU_CPU_FORWARD', forward);
    process.stdout.write(`${loaded.detail}: largest relative error ${worst.toExponential(2)}\n`);
  });

  test('the backend says which adapter it runs on', () => {
    assert.equal(loaded.name, 'webgpu');
    assert.match(loaded.detail, /^webgpu \((GPU|software adapter): .+; Dawn\)$/);
    assert.equal(isGpuBackend('webgpu'), loaded.detail.startsWith('webgpu (GPU'));
  });

  const groups: [string, Iterable<KernelCase>][] = [
    ['conv2d (output, input and filter gradients)', conv2dCases(new Rng(1))],
    ['depthwiseConv2d (output, input and filter gradients)', depthwiseCases(new Rng(2))],
    ['matMul with transposes (output and gradients)', matMulCases(new Rng(4))],
    ['tile (output and gradient)', tileCases(new Rng(5))],
  ];
  test('a tiny conv net trains, leaving no tensors or GPU buffers behind', async () => {
    await tf.setBackend('webgpu');
    await assertTrainsTinyConvNet();
  });

  for (const [name, cases] of groups) {
    describe(name, () => {
      for (const kernelCase of cases) {
        test(kernelCase.label, async () => {
          worst = Math.max(worst, await assertMatchesCpu('webgpu', kernelCase));
        });
      }
    });
  }
});
