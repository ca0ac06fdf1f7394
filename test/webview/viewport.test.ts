// The graph view's Fit, zoom, pan and "bring into view", as pure arithmetic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bringIntoView, fitViewport, isViewport, MAX_FIT_SCALE, panBy, READABLE_SCALE, transformOf, zoomAt } from '../../webview/model/viewport';

const view = { width: 800, height: 600 };

test('a graph that fits readably is fitted whole and centred', () => {
  const v = fitViewport({ width: 400, height: 500 }, view, 'DOWN');
  assert.ok(v.fitted);
  assert.equal(v.scale, (600 - 40) / 500);
  assert.deepEqual(transformOf(v, view), { x: (800 - 400 * v.scale) / 2, y: 20, scale: v.scale });
  assert.equal(fitViewport({ width: 10, height: 10 }, view, 'DOWN').scale, MAX_FIT_SCALE, 'a tiny graph is not blown up');
});

test('a tall graph (a 159-layer ShuffleNet) fits its width, readably, and starts at its top', () => {
  const graph = { width: 700, height: 10_500 };
  const v = fitViewport(graph, view, 'DOWN');
  // Fitting it whole would take 0.05: a one-pixel column.
  assert.ok((600 - 40) / graph.height < 0.06);
  assert.equal(v.scale, 1, 'as wide as the view allows, at most its natural size');
  const t = transformOf(v, view);
  assert.equal(t.y, 20, 'its top at the margin');
  assert.equal(t.x, (800 - 700) / 2, 'centred across');
});

test('never below the readable zoom: a graph wider than the view at that zoom starts at its top left corner', () => {
  const v = fitViewport({ width: 5000, height: 8000 }, view, 'DOWN');
  assert.equal(v.scale, READABLE_SCALE);
  assert.deepEqual(transformOf(v, view), { x: 20, y: 20, scale: READABLE_SCALE });
});

test('left to right: fits the height and scrolls the width from the left', () => {
  const v = fitViewport({ width: 12_000, height: 400 }, view, 'RIGHT');
  assert.equal(v.scale, 1);
  const t = transformOf(v, view);
  assert.equal(t.x, 20);
  assert.equal(t.y, (600 - 400) / 2);
});

test('kept by its centre: a resized view shows the same graph point in its middle', () => {
  const v = fitViewport({ width: 700, height: 10_500 }, view, 'DOWN');
  const moved = panBy(v, 0, -3000);
  for (const size of [view, { width: 1400, height: 900 }, { width: 300, height: 200 }]) {
    const t = transformOf(moved, size);
    assert.equal(t.x + moved.centreX * t.scale, size.width / 2);
    assert.equal(t.y + moved.centreY * t.scale, size.height / 2);
  }
});

test('pan and zoom: the point under the pointer stays put; either one ends "fitted"', () => {
  const v = fitViewport({ width: 400, height: 500 }, view, 'DOWN');
  const at = { x: 100, y: 50 };
  const before = transformOf(v, view);
  const graphPoint = { x: (at.x - before.x) / before.scale, y: (at.y - before.y) / before.scale };
  const zoomed = zoomAt(v, 2, view, at);
  const after = transformOf(zoomed, view);
  assert.ok(Math.abs(after.x + graphPoint.x * after.scale - at.x) < 1e-9);
  assert.ok(Math.abs(after.y + graphPoint.y * after.scale - at.y) < 1e-9);
  assert.equal(zoomed.fitted, false);
  const panned = panBy(v, 30, -10);
  const shifted = transformOf(panned, view);
  assert.ok(Math.abs(shifted.x - (before.x + 30)) < 1e-9 && Math.abs(shifted.y - (before.y - 10)) < 1e-9, 'moved with the pointer');
  assert.equal(panned.fitted, false);
});

test('bringing a node into view moves only as far as needed, and not at all when it shows', () => {
  const v = { centreX: 400, centreY: 300, scale: 1, fitted: false };
  const inside = { x: 100, y: 100, width: 120, height: 40 };
  assert.equal(bringIntoView(v, inside, view), v);
  const below = { x: 100, y: 900, width: 120, height: 40 };
  const t = transformOf(bringIntoView(v, below, view), view);
  assert.equal(t.y + (below.y + below.height) * t.scale, 600 - 20, 'its bottom at the margin');
  assert.equal(t.x, 0, 'not moved across');
  // Half off the left edge, as a selection after leaving a maximised editor.
  const left = { x: -50, y: 100, width: 120, height: 40 };
  assert.equal(transformOf(bringIntoView(v, left, view), view).x + left.x, 20);
});

test('a viewport of an older version (x, y, scale) is not taken for one', () => {
  assert.equal(isViewport({ x: 1, y: 2, scale: 1 }), false);
  assert.equal(isViewport(undefined), false);
  assert.equal(isViewport({ centreX: 1, centreY: 2, scale: 1, fitted: true }), true);
});
