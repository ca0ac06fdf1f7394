// The PyTorch trainer package's own tests (trainers/torch/tests, pytest), run with the Python
// the engine would pick; skipped, saying why, where there is none with torch and pytest.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { findPython, trainerRoot } from '../../engine/evaluation/pytorch/python';

test('pytest trainers/torch', async (t) => {
  const found = await findPython({});
  if (!found.ok) return t.skip(`no Python with torch: ${found.reason}`);
  const python = found.info.python;
  if (spawnSync(python, ['-c', 'import pytest']).status !== 0) return t.skip(`${python} has no pytest (apt-get install python3-pytest)`);
  const run = spawnSync(python, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', trainerRoot()], { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
});
