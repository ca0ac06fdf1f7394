// The graph's blocks in a real VS Code: the preview of a zoo teacher (resnet34) collapses its
// units (`layer1.0.*` ...) into one node each from the toolbar's block menu, and "All layers"
// brings every layer back. The counts expected come from the same pure functions the webview uses.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkSpecText } from '../../engine/architecture/validate';
import { buildGraphModel } from '../../extension/view-models/graph';
import { collapse, findBlocks } from '../../webview/model/blocks';
import { activeWebview, explorerRow, Page, runCommand, waitForCount } from './workbench';
import { ZOO_SPEC } from './workspace';

/** The depth of `layer1.0.*`: ResNet's units. */
const UNIT_DEPTH = 2;

export async function checkGraphBlocks(page: Page, workspace: string, screenshot: (name: string) => Promise<void>): Promise<void> {
  const { spec } = checkSpecText(readFileSync(join(workspace, ZOO_SPEC)), ZOO_SPEC);
  assert.ok(spec, `${ZOO_SPEC} does not parse`);
  const model = buildGraphModel(spec);
  const blocks = findBlocks(model);
  const units = blocks.filter((b) => b.depth === UNIT_DEPTH);
  const collapsedCount = collapse(model, blocks, units.map((b) => b.id)).model.nodes.length;
  assert.ok(units.length > 0 && collapsedCount < spec.layers.length, 'resnet34 has units to collapse');

  await explorerRow(page, ZOO_SPEC).click();
  await page.locator('.tabs-container .tab', { hasText: ZOO_SPEC }).first().waitFor({ timeout: 30_000 });
  await runCommand(page, 'Preview architecture');
  const view = activeWebview(page);
  // Layers carry data-layer, collapsed blocks data-block (the input node neither).
  const layers = view.locator('svg.canvas g.nodes > g[data-layer]');
  const drawn = view.locator('svg.canvas g.nodes > g[data-layer], svg.canvas g.nodes > g[data-block]');
  assert.equal(await waitForCount(layers, spec.layers.length, 60_000), spec.layers.length, 'every layer drawn before collapsing');

  await view.locator('select').selectOption(String(UNIT_DEPTH));
  const afterCollapse = await waitForCount(drawn, collapsedCount, 60_000);
  await screenshot('graph-blocks-collapsed');
  assert.equal(afterCollapse, collapsedCount, `nodes drawn with the ${units.length} units collapsed`);
  assert.equal(await view.locator('svg.canvas g.nodes > g[data-block]').count(), units.length, 'one node per collapsed unit');

  await view.locator('select').selectOption('0');
  const afterExpand = await waitForCount(layers, spec.layers.length, 60_000);
  await screenshot('graph-blocks-expanded');
  assert.equal(afterExpand, spec.layers.length, 'every layer drawn again after expanding');
  assert.equal(await view.locator('svg.canvas g.nodes > g[data-block]').count(), 0, 'no block left');
}
