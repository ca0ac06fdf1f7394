// The run's latest progress kept in its folder: written whole, at most once an interval (a
// phase change at once), the last one of a burst written when the interval ends or on close.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RunProgressSnapshot } from '../../protocol';
import { ProgressFile, readProgress } from '../../engine/run/progress-file';

const at = (evaluated: number, phase: RunProgressSnapshot['phase'] = 'evaluating'): RunProgressSnapshot => ({ phase, step: 1, steps: 2, evaluated, total: 4, fraction: evaluated / 4 });

test('progress.json: the first at once, a burst throttled to its last, a new phase at once, the pending one on close', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'esnac-progress-'));
  assert.equal(readProgress(dir), undefined, 'none yet');
  const file = new ProgressFile(dir, 300);
  file.record(at(0));
  assert.equal(readProgress(dir)?.evaluated, 0);
  file.record(at(1));
  file.record(at(2));
  assert.equal(readProgress(dir)?.evaluated, 0, 'within the interval: not yet');
  await new Promise((resolve) => setTimeout(resolve, 450));
  assert.equal(readProgress(dir)?.evaluated, 2, 'the last of the burst, once the interval is over');
  file.record(at(3, 'finetuning'));
  assert.equal(readProgress(dir)?.phase, 'finetuning', 'a new phase at once');
  file.record(at(4, 'finetuning'));
  file.close();
  assert.equal(readProgress(dir)?.evaluated, 4, 'the pending one on close');
  assert.deepEqual(readdirSync(dir), ['progress.json'], 'written whole: no temporary left');
});
