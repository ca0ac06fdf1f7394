// The one count format: what the CLI, report.md, the extension and the webviews print.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countOf, formatCount } from '../../protocol/format';

test('counts read with three significant digits and a K/M/G suffix', () => {
  const cases: [number, string][] = [
    [0, '0'],
    [512, '512'],
    [999, '999'],
    [1000, '1.00K'],
    [1234, '1.23K'],
    [16780, '16.8K'],
    [123456, '123K'],
    [999_400, '999K'],
    [999_600, '1.00M'],
    [4_500_000, '4.50M'],
    [21_282_122, '21.3M'],
    [1.5e9, '1.50G'],
  ];
  for (const [n, text] of cases) assert.equal(formatCount(n), text, String(n));
});

test('countOf: one is singular, every other count plural, irregular plurals given', () => {
  assert.equal(countOf(1, 'epoch'), '1 epoch');
  assert.equal(countOf(0, 'epoch'), '0 epochs');
  assert.equal(countOf(10, 'distillation epoch'), '10 distillation epochs');
  assert.equal(countOf(2, 'child', 'children'), '2 children');
});
