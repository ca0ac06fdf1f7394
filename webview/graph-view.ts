// The architecture graph (and the teacher/student diff, which is a graph with statuses): elkjs
// layout in a worker, drawn as SVG, with pan and zoom that survive resizes and reloads, a Fit that
// stays readable, an overview, blocks that collapse into one node, a left-to-right layout, search
// by layer id, a properties panel for the selected layer, the spec's problems marked on their
// nodes, the editor's cursor followed, click to reveal a layer in its spec, and SVG/PNG export.
import type { ElkNode } from 'elkjs/lib/elk-api';
import type { GraphDiffSummary, GraphDirection, GraphModel, GraphNode, LayerProblems, Viewport } from '../protocol/webview';
import { formatCount } from '../protocol/format';
import { errorMessage } from '../engine/util/errors';
import { button, html, svg } from './dom';
import { Layouter } from './layout';
import { Block, blockLevels, collapse, CollapsedGraph, findBlocks } from './model/blocks';
import { buildElkGraph, inputNode, MeasureText, NODE_METRICS, nodeLines } from './model/elk';
import { Box, bringIntoView, fitViewport, isViewport, panBy, Size, transformOf, zoomAt } from './model/viewport';
import type { Host } from './state';

const ZOOM_STEP = 1.25;
/** The overview's longer side, in pixels. */
const OVERVIEW_SIZE = 260;

interface Drawn {
  graph: CollapsedGraph;
  width: number;
  height: number;
  boxes: Map<string, Box>;
}

/** What the host last sent: the full graph and what goes with it. */
interface Shown {
  model: GraphModel;
  blocks: Block[];
  marks: LayerProblems;
  diff?: GraphDiffSummary;
}

export class GraphView {
  private readonly layouter = new Layouter();
  private readonly svgRoot = svg('svg', { class: 'canvas' });
  private readonly content = svg('g');
  private readonly title = html('span', { class: 'title' });
  private readonly banner = html('div', { class: 'banner', hidden: '' });
  private readonly legend = html('div', { class: 'legend', hidden: '' });
  private readonly searchBox = html('input', { type: 'search', placeholder: 'Find layer id', 'aria-label': 'Find a layer by id' });
  private readonly searchCount = html('span', { class: 'count' });
  private readonly blockMenu = html('select', { 'aria-label': 'Collapse blocks', title: 'Collapse the layers that share an id prefix, or where the ids do not group them the repeated units (the stretches that merge branches), into one node per block' });
  private readonly directionButton = button('', '', () => this.setDirection(this.direction === 'DOWN' ? 'RIGHT' : 'DOWN'));
  private readonly overview = html('div', { class: 'overview', hidden: '' });
  private readonly overviewSvg = svg('svg', { class: 'overview-map', 'aria-label': 'Overview of the whole graph' });
  private readonly overviewFrame = svg('rect', { class: 'overview-frame' });
  private readonly properties = html('aside', { class: 'properties', hidden: '', 'aria-label': 'Properties of the selected layer' });
  private viewport: Viewport | undefined;
  private shown: Shown | undefined;
  private drawn: Drawn | undefined;
  private matches: string[] = [];
  private matchIndex = -1;
  private side: 'teacher' | 'student' | undefined;

  constructor(
    root: HTMLElement,
    private readonly host: Host,
  ) {
    this.viewport = isViewport(host.state.viewport) ? host.state.viewport : undefined;
    this.svgRoot.append(arrowMarkers(), this.content);
    this.overview.append(this.overviewSvg);
    this.updateDirectionButton();
    const toolbar = html(
      'div',
      { class: 'toolbar' },
      this.title,
      html('span', { class: 'spacer' }),
      this.searchBox,
      this.searchCount,
      this.blockMenu,
      this.directionButton,
      button('Fit', 'Fit the graph: all of it when readable, else its width (scroll for the rest)', () => this.fit()),
      button('+', 'Zoom in', () => this.zoomBy(ZOOM_STEP)),
      button('−', 'Zoom out', () => this.zoomBy(1 / ZOOM_STEP)),
      button('Export SVG', 'Save the graph as an SVG file', () => this.exportSvg()),
      button('Export PNG', 'Save the graph as a PNG image', () => void this.exportPng()),
    );
    const stage = html('div', { class: 'stage' }, this.svgRoot, this.overview);
    root.replaceChildren(html('div', { class: 'graph-view' }, toolbar, this.banner, this.legend, html('div', { class: 'main' }, stage, this.properties)));
    this.searchBox.addEventListener('input', () => this.search(false));
    this.searchBox.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.search(true);
    });
    this.blockMenu.addEventListener('change', () => this.collapseLevel(Number(this.blockMenu.value)));
    this.enablePanZoom();
    this.enableOverview();
    new ResizeObserver(() => this.resized()).observe(this.svgRoot);
  }

  private get direction(): GraphDirection {
    return this.host.state.direction ?? 'DOWN';
  }

  private get collapsed(): string[] {
    return this.host.state.collapsed ?? [];
  }

  async show(model: GraphModel, problems: string[], stale: boolean, diff?: GraphDiffSummary, marks: LayerProblems = {}): Promise<void> {
    this.side = diff ? 'student' : undefined;
    this.showProblems(problems, stale ? 'The spec has problems; this is its last version that could be drawn.' : 'The spec has problems:');
    this.showLegend(diff);
    this.shown = { model, blocks: findBlocks(model), marks, diff };
    this.fillBlockMenu();
    await this.relayout();
  }

  /** The spec cannot be drawn: say why and keep whatever was drawn before. */
  showFailure(message: string): void {
    this.showProblems(message.split('\n'), this.drawn ? 'The spec cannot be drawn now; this is its last version that could.' : 'The spec cannot be drawn:');
  }

  /** The editor's cursor moved into `layerId`: select it (its block, when collapsed) and bring it into view. */
  selectFromEditor(layerId: string): void {
    if (layerId === this.host.state.selected) return;
    this.select(layerId, true);
  }

  private showProblems(problems: string[], heading: string): void {
    this.banner.hidden = problems.length === 0;
    const shown = problems.slice(0, 5);
    const more = problems.length > shown.length ? [`and ${problems.length - shown.length} more`] : [];
    this.banner.replaceChildren(
      html('strong', {}, heading),
      html('ul', {}, ...[...shown, ...more].map((p) => html('li', {}, p))),
    );
  }

  // A strip above the graph rather than a box over it, so it never covers a node.
  private showLegend(diff: GraphDiffSummary | undefined): void {
    this.legend.hidden = !diff;
    if (!diff) return;
    const swatch = (cls: string) => svg('svg', { width: 34, height: 14, class: `swatch ${cls}` }, svg('rect', { x: 1, y: 1, width: 32, height: 12, rx: 3 }));
    const edgeSwatch = svg('svg', { width: 34, height: 14, class: 'swatch edge added' }, svg('path', { d: 'M2 7 H32' }));
    const row = (icon: Node, text: string) => html('span', { class: 'legend-row' }, icon, html('span', {}, text));
    this.legend.replaceChildren(
      html('span', { class: 'legend-title' }, `${diff.teacher.name} → ${diff.student.name}`),
      html('span', {}, `${formatCount(diff.teacher.params)} → ${formatCount(diff.student.params)} params (${diff.timesSmaller.toFixed(2)}× smaller)`),
      row(swatch('node removed'), `removed (now identity): ${diff.removed}`),
      row(swatch('node shrunk'), `shrunk, old → new channels: ${diff.shrunk}`),
      row(edgeSwatch, `added skip connection: ${diff.addedEdges}`),
      row(swatch('node unchanged'), 'unchanged'),
    );
  }

  // ---- blocks and layout ----

  private fillBlockMenu(): void {
    const levels = blockLevels(this.shown!.blocks);
    this.blockMenu.hidden = levels.length === 0;
    const current = new Set(this.collapsed);
    const option = (value: string, text: string, selected: boolean) => html('option', { value, ...(selected && { selected: '' }) }, text);
    const isLevel = (depth: number) => {
      const ids = this.shown!.blocks.filter((b) => b.depth === depth).map((b) => b.id);
      return ids.length === current.size && ids.every((id) => current.has(id));
    };
    const matching = levels.find((l) => isLevel(l.depth));
    this.blockMenu.replaceChildren(
      option('0', 'All layers', current.size === 0),
      ...levels.map((l) => option(String(l.depth), l.kind === 'unit' ? `Repeated units (${l.count})` : `Blocks like ${l.example} (${l.count})`, l === matching)),
      ...(current.size > 0 && !matching ? [option('-1', `${current.size} blocks collapsed`, true)] : []),
    );
  }

  private async collapseLevel(depth: number): Promise<void> {
    if (depth < 0 || !this.shown) return;
    await this.setCollapsed(this.shown.blocks.filter((b) => b.depth === depth).map((b) => b.id));
  }

  private async setCollapsed(ids: string[], keepInView?: string): Promise<void> {
    this.host.updateState({ collapsed: ids });
    this.fillBlockMenu();
    await this.relayout();
    const shown = keepInView && this.drawn?.graph.shownAs.get(keepInView);
    if (shown) this.centreOn(shown);
  }

  private async setDirection(direction: GraphDirection): Promise<void> {
    this.host.updateState({ direction });
    this.updateDirectionButton();
    this.viewport = undefined;
    await this.relayout();
  }

  private updateDirectionButton(): void {
    const down = this.direction === 'DOWN';
    this.directionButton.textContent = down ? 'Left to right' : 'Top to bottom';
    this.directionButton.title = down ? 'Lay the graph out from left to right' : 'Lay the graph out from top to bottom';
  }

  private async relayout(): Promise<void> {
    const shown = this.shown;
    if (!shown) return;
    const graph = collapse(shown.model, shown.blocks, this.collapsed);
    const { model } = shown;
    const blocksShown = graph.blocks.size > 0 ? ` (${graph.model.nodes.length} nodes shown)` : '';
    this.title.textContent = `${model.name}: ${model.nodes.length} layers, ${formatCount(model.params)} params, ${formatCount(model.macs)} MACs${blocksShown}`;
    let laidOut: ElkNode | undefined;
    try {
      laidOut = await this.layouter.layout(buildElkGraph(graph.model, measureText(), this.direction));
    } catch (err) {
      this.host.post({ type: 'error', message: `layout of ${model.name} failed: ${errorMessage(err)}` });
      return;
    }
    if (!laidOut) return;
    this.draw(graph, laidOut);
  }

  private draw(graph: CollapsedGraph, laidOut: ElkNode): void {
    const { model } = graph;
    const marks = this.shown!.marks;
    const byId = new Map([inputNode(model), ...model.nodes].map((n) => [n.id, n]));
    const statusOf = new Map(model.edges.map((e) => [`${e.from}\u0000${e.to}\u0000${e.port}`, e.status]));
    const edges = (laidOut.edges ?? []).map((edge) => {
      const points = (edge.sections ?? []).flatMap((s) => [s.startPoint, ...(s.bendPoints ?? []), s.endPoint]);
      const status = statusOf.get(edge.id) ?? 'unchanged';
      return svg('path', {
        class: `edge ${status}`,
        d: points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x} ${p.y}`).join(' '),
        'marker-end': `url(#arrow-${status === 'added' ? 'added' : 'plain'})`,
      });
    });
    const boxes = new Map<string, Box>();
    const nodes = (laidOut.children ?? []).map((placed) => {
      const node = byId.get(placed.id)!;
      const box = { x: placed.x!, y: placed.y!, width: placed.width!, height: placed.height! };
      boxes.set(node.id, box);
      const block = graph.blocks.get(node.id);
      const problems = block ? block.members.flatMap((id) => (marks[id] ?? []).map((p) => `${id}: ${p}`)) : marks[node.id] ?? [];
      return drawNode(node, box, node.id === model.output, problems, block !== undefined);
    });
    this.content.replaceChildren(svg('g', { class: 'edges' }, ...edges), svg('g', { class: 'nodes' }, ...nodes));
    const first = !this.drawn;
    this.drawn = { graph, width: laidOut.width ?? 0, height: laidOut.height ?? 0, boxes };
    this.drawOverview(nodes.length > 0 ? [...boxes] : []);
    const refit = !this.viewport || this.viewport.fitted;
    if (refit) this.viewport = fitViewport(this.drawn, this.size(), this.direction);
    this.applyViewport();
    // A fresh fit, or a panel shown again (its webview reloaded), must not leave the selection out of view.
    this.showSelection(refit || first);
    this.search(false);
  }

  // ---- viewport ----

  private size(): Size {
    const r = this.svgRoot.getBoundingClientRect();
    return { width: Math.max(r.width, 1), height: Math.max(r.height, 1) };
  }

  private fit(): void {
    if (!this.drawn) return;
    this.viewport = fitViewport(this.drawn, this.size(), this.direction);
    this.applyViewport();
  }

  /**
   * The panel changed size (a maximised editor left, the side bar toggled, the panel shown again):
   * a fitted view is fitted again, any other keeps its centre; the selection stays in view.
   */
  private resized(): void {
    if (!this.drawn || !this.viewport) return;
    if (this.viewport.fitted) this.viewport = fitViewport(this.drawn, this.size(), this.direction);
    this.applyViewport();
    this.showSelection(true);
  }

  private zoomBy(factor: number, at?: { x: number; y: number }): void {
    if (!this.viewport) return;
    this.viewport = zoomAt(this.viewport, factor, this.size(), at);
    this.applyViewport();
  }

  private applyViewport(): void {
    if (!this.viewport) return;
    const view = this.size();
    const { x, y, scale } = transformOf(this.viewport, view);
    this.content.setAttribute('transform', `translate(${x} ${y}) scale(${scale})`);
    this.host.updateState({ viewport: this.viewport });
    this.updateOverviewFrame(view);
  }

  private centreOn(id: string): void {
    const box = this.drawn?.boxes.get(id);
    if (!box) return;
    const scale = Math.max(this.viewport?.scale ?? 1, 0.8);
    this.viewport = { centreX: box.x + box.width / 2, centreY: box.y + box.height / 2, scale, fitted: false };
    this.applyViewport();
  }

  // Drag pans; a press released where it started is a click, which selects the node (and, for a
  // layer, reveals it in its spec); a double click expands a block.
  private enablePanZoom(): void {
    let drag: { x: number; y: number; startX: number; startY: number; moved: boolean } | undefined;
    this.svgRoot.addEventListener('pointerdown', (e) => {
      drag = { x: e.clientX, y: e.clientY, startX: e.clientX, startY: e.clientY, moved: false };
      this.svgRoot.setPointerCapture(e.pointerId);
    });
    this.svgRoot.addEventListener('pointermove', (e) => {
      if (!drag || !this.viewport) return;
      drag.moved ||= Math.hypot(e.clientX - drag.startX, e.clientY - drag.startY) > 4;
      this.viewport = panBy(this.viewport, e.clientX - drag.x, e.clientY - drag.y);
      drag.x = e.clientX;
      drag.y = e.clientY;
      this.applyViewport();
    });
    this.svgRoot.addEventListener('pointerup', (e) => {
      const clicked = drag && !drag.moved;
      drag = undefined;
      if (!clicked) return;
      const target = document.elementFromPoint(e.clientX, e.clientY)?.closest('[data-layer], [data-block]');
      const layerId = target?.getAttribute('data-layer');
      const blockId = target?.getAttribute('data-block');
      if (layerId) {
        this.select(layerId, false);
        this.reveal(layerId);
      } else if (blockId) this.select(blockId, false);
    });
    this.svgRoot.addEventListener('dblclick', (e) => {
      const blockId = (e.target as Element).closest('[data-block]')?.getAttribute('data-block');
      if (blockId) void this.expand(blockId);
    });
    this.svgRoot.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        if (!this.viewport) return;
        if (e.ctrlKey || e.metaKey) {
          const r = this.svgRoot.getBoundingClientRect();
          this.zoomBy(Math.exp(-e.deltaY * 0.01), { x: e.clientX - r.left, y: e.clientY - r.top });
        } else {
          this.viewport = panBy(this.viewport, -e.deltaX, -e.deltaY);
          this.applyViewport();
        }
      },
      { passive: false },
    );
  }

  private reveal(layerId: string): void {
    const node = this.shown?.model.nodes.find((n) => n.id === layerId);
    if (!node) return;
    // A layer the student dropped exists only in the teacher's file.
    const side = this.side && (node.status === 'removed' && node.change === 'dropped' ? 'teacher' : 'student');
    this.host.post({ type: 'revealLayer', layerId, ...(side && { side }) });
  }

  private async expand(blockId: string): Promise<void> {
    const block = this.drawn?.graph.blocks.get(blockId);
    await this.setCollapsed(
      this.collapsed.filter((id) => id !== blockId),
      block?.members[0],
    );
  }

  // ---- overview ----

  private drawOverview(boxes: [string, Box][]): void {
    const { width, height } = this.drawn!;
    const scale = OVERVIEW_SIZE / Math.max(width, height, 1);
    this.overviewSvg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    this.overviewSvg.setAttribute('width', String(Math.max(24, Math.round(width * scale))));
    this.overviewSvg.setAttribute('height', String(Math.max(24, Math.round(height * scale))));
    const colourOf = (id: string) => (this.drawn!.graph.blocks.has(id) ? 'block' : this.drawn!.graph.model.nodes.find((n) => n.id === id)?.colour ?? 'input');
    this.overviewSvg.replaceChildren(
      ...boxes.map(([id, b]) => svg('rect', { class: `overview-node node ${colourOf(id)}`, x: b.x, y: b.y, width: b.width, height: b.height })),
      this.overviewFrame,
    );
  }

  private updateOverviewFrame(view: Size): void {
    if (!this.drawn || !this.viewport) return;
    const { x, y, scale } = transformOf(this.viewport, view);
    const frame = { x: -x / scale, y: -y / scale, width: view.width / scale, height: view.height / scale };
    const { width, height } = this.drawn;
    // The overview is for a graph that does not fit: hidden while all of it is in view.
    this.overview.hidden = frame.x <= 0 && frame.y <= 0 && frame.x + frame.width >= width && frame.y + frame.height >= height;
    for (const [name, value] of Object.entries(frame)) this.overviewFrame.setAttribute(name, String(value));
  }

  // A press or drag on the overview centres the view there.
  private enableOverview(): void {
    let dragging = false;
    const moveTo = (e: PointerEvent) => {
      if (!this.viewport || !this.drawn) return;
      const r = this.overviewSvg.getBoundingClientRect();
      const centreX = ((e.clientX - r.left) / r.width) * this.drawn.width;
      const centreY = ((e.clientY - r.top) / r.height) * this.drawn.height;
      this.viewport = { ...this.viewport, centreX, centreY, fitted: false };
      this.applyViewport();
    };
    this.overviewSvg.addEventListener('pointerdown', (e) => {
      dragging = true;
      this.overviewSvg.setPointerCapture(e.pointerId);
      moveTo(e);
    });
    this.overviewSvg.addEventListener('pointermove', (e) => {
      if (dragging) moveTo(e);
    });
    this.overviewSvg.addEventListener('pointerup', () => (dragging = false));
  }

  // ---- selection and properties ----

  /** Selects a layer or block; `scroll` brings it into view (the editor moved, not the mouse). */
  private select(id: string, scroll: boolean): void {
    this.host.updateState({ selected: id });
    this.showSelection(scroll);
  }

  private deselect(): void {
    this.host.updateState({ selected: undefined });
    this.showSelection(false);
  }

  private showSelection(scroll: boolean): void {
    const selected = this.host.state.selected;
    const drawnId = selected === undefined ? undefined : this.drawn?.graph.shownAs.get(selected) ?? (this.drawn?.graph.blocks.has(selected) ? selected : undefined);
    this.content.querySelectorAll('.node.selected').forEach((g) => g.classList.remove('selected'));
    if (drawnId !== undefined) this.content.querySelector(`[data-layer="${CSS.escape(drawnId)}"], [data-block="${CSS.escape(drawnId)}"]`)?.classList.add('selected');
    this.showProperties(drawnId);
    const box = drawnId === undefined ? undefined : this.drawn?.boxes.get(drawnId);
    if (scroll && box && this.viewport) {
      const moved = bringIntoView(this.viewport, box, this.size());
      if (moved !== this.viewport) {
        this.viewport = moved;
        this.applyViewport();
      }
    }
  }

  private showProperties(id: string | undefined): void {
    const shown = this.shown;
    const full = shown?.model;
    const block = id === undefined ? undefined : this.drawn?.graph.blocks.get(id);
    const node = id === undefined ? undefined : block ? this.drawn!.graph.model.nodes.find((n) => n.id === id) : full?.nodes.find((n) => n.id === id);
    this.properties.hidden = !node;
    if (!node || !shown || !full) return;
    const row = (name: string, ...value: (Node | string)[]) => html('tr', {}, html('th', {}, name), html('td', {}, ...value));
    const exact = (n: number) => `${formatCount(n)} (${n.toLocaleString('en-US')})`;
    const link = (target: string) => (target === 'input' ? html('span', {}, 'input') : button(target, `Select ${target}`, () => this.select(target, true)));
    const list = (ids: string[]) => (ids.length === 0 ? ['none'] : ids.map(link));
    const rows: HTMLTableRowElement[] = [row('output', node.shape), row('params', exact(node.params)), row('MACs', exact(node.macs))];
    const problems = block ? block.members.flatMap((m) => (shown.marks[m] ?? []).map((p) => `${m}: ${p}`)) : shown.marks[node.id] ?? [];
    const actions: HTMLButtonElement[] = [];
    if (block) {
      rows.unshift(row('block', `${block.members.length} layers`));
      rows.push(row('layers', ...list(block.members)));
      actions.push(button('Expand', `Show the layers of ${block.id}`, () => void this.expand(block.id)));
    } else {
      const inputs = full.edges.filter((e) => e.to === node.id && e.status !== 'removed').sort((a, b) => a.port - b.port).map((e) => e.from);
      const readers = full.edges.filter((e) => e.from === node.id && e.status !== 'removed').map((e) => e.to);
      rows.unshift(row('type', node.type));
      rows.push(row('inputs', ...list(inputs)), row('read by', ...(node.id === full.output ? ['the network output'] : list(readers))));
      rows.push(...node.attributes.map(([name, value]) => row(name, value)));
      if (node.change) rows.push(row('change', node.change));
      actions.push(button('Show in spec', 'Select this layer in its spec file', () => this.reveal(node.id)));
      // Its blocks, innermost first: collapsing one keeps this layer in view as that block.
      const around = shown.blocks.filter((b) => b.members.includes(node.id)).reverse();
      actions.push(...around.map((b) => button(`Collapse ${b.id}`, `Draw the ${b.members.length} layers of ${b.id} as one node`, () => void this.setCollapsed([...this.collapsed, b.id], node.id))));
    }
    this.properties.replaceChildren(
      html('div', { class: 'properties-head' }, html('h2', {}, node.id), button('×', 'Close the properties', () => this.deselect())),
      ...(problems.length > 0 ? [html('ul', { class: 'node-problems' }, ...problems.map((p) => html('li', {}, p)))] : []),
      html('table', {}, html('tbody', {}, ...rows)),
      html('div', { class: 'properties-actions' }, ...actions),
    );
  }

  // ---- search ----

  private search(next: boolean): void {
    const query = this.searchBox.value.trim().toLowerCase();
    const shownAs = this.drawn?.graph.shownAs;
    // A layer inside a collapsed block is found as its block.
    const ids = query === '' || !shownAs ? [] : [...new Set(this.shown!.model.nodes.map((n) => n.id).filter((id) => id.toLowerCase().includes(query)).map((id) => shownAs.get(id)!))];
    if (ids.join('\u0000') !== this.matches.join('\u0000')) this.matchIndex = -1;
    this.matches = ids;
    this.content.querySelectorAll('[data-layer], [data-block]').forEach((g) => {
      g.classList.toggle('match', ids.includes(g.getAttribute('data-layer') ?? g.getAttribute('data-block')!));
      g.classList.remove('current');
    });
    if (ids.length > 0 && (next || this.matchIndex === -1)) {
      this.matchIndex = (this.matchIndex + 1) % ids.length;
      this.centreOn(ids[this.matchIndex]);
    }
    if (this.matchIndex >= 0 && ids.length > 0) {
      const current = CSS.escape(ids[this.matchIndex]);
      this.content.querySelector(`[data-layer="${current}"], [data-block="${current}"]`)?.classList.add('current');
    }
    this.searchCount.textContent = query === '' ? '' : ids.length === 0 ? 'no match' : `${this.matchIndex + 1} of ${ids.length}`;
  }

  // ---- export ----

  /** The whole graph with the theme's colours written into each element, as a standalone file. */
  private standaloneSvg(): { text: string; width: number; height: number } | undefined {
    if (!this.drawn) return undefined;
    const margin = 16;
    const { width, height } = this.drawn;
    const copy = this.svgRoot.cloneNode(true) as SVGSVGElement;
    inlineStyles(this.svgRoot, copy);
    copy.querySelector(':scope > g')!.setAttribute('transform', `translate(${margin} ${margin})`);
    copy.querySelectorAll('.selected, .match').forEach((g) => g.classList.remove('selected', 'match', 'current'));
    const w = Math.ceil(width + 2 * margin);
    const h = Math.ceil(height + 2 * margin);
    copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
    copy.setAttribute('viewBox', `0 0 ${w} ${h}`);
    copy.setAttribute('width', String(w));
    copy.setAttribute('height', String(h));
    copy.removeAttribute('class');
    const background = getComputedStyle(document.body).getPropertyValue('--vscode-editor-background').trim() || 'white';
    copy.insertBefore(svg('rect', { width: w, height: h, fill: background }), copy.firstChild);
    return { text: new XMLSerializer().serializeToString(copy), width: w, height: h };
  }

  private exportSvg(): void {
    const picture = this.standaloneSvg();
    if (picture) this.host.post({ type: 'exportSvg', svg: picture.text, fileName: `${this.shown!.model.name}.svg` });
  }

  /** The SVG drawn onto a canvas at twice its size, or less where a canvas cannot be that big. */
  private async exportPng(): Promise<void> {
    const picture = this.standaloneSvg();
    if (!picture) return;
    const { width, height } = picture;
    const scale = Math.min(2, 16_000 / width, 16_000 / height, Math.sqrt(200e6 / (width * height)));
    const image = new Image();
    image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(picture.text)}`;
    try {
      await image.decode();
      const canvas = html('canvas', { width: Math.round(width * scale), height: Math.round(height * scale) });
      const context = canvas.getContext('2d')!;
      context.scale(scale, scale);
      context.drawImage(image, 0, 0, width, height);
      const png = canvas.toDataURL('image/png').slice('data:image/png;base64,'.length);
      this.host.post({ type: 'exportPng', png, fileName: `${this.shown!.model.name}.png` });
    } catch (err) {
      this.host.post({ type: 'error', message: `PNG export failed: ${errorMessage(err)}` });
    }
  }
}

function drawNode(node: GraphNode, box: Box, isOutput: boolean, problems: string[], isBlock: boolean): SVGGElement {
  const lines = nodeLines(node);
  const classes = ['node', node.colour, node.status ?? '', isOutput ? 'output' : '', problems.length > 0 ? 'problem' : ''].filter((c) => c !== '');
  const texts = lines.map((line, i) =>
    svg(
      'text',
      { x: NODE_METRICS.paddingX, y: NODE_METRICS.paddingY + NODE_METRICS.lineHeight * (i + 1) - 4, class: ['id', 'info', 'change'][i] },
      line,
    ),
  );
  const what = isBlock ? `${node.detail}; double-click to expand` : node.type;
  const problemLines = problems.map((p) => `\n⚠ ${p}`).join('');
  const tooltip = svg('title', {}, `${node.id} (${what})\noutput ${node.shape}\n${node.params.toLocaleString('en-US')} params, ${node.macs.toLocaleString('en-US')} MACs${node.change ? `\n${node.change}` : ''}${problemLines}`);
  // A problem's mark: a badge on the node's top right corner.
  const badge = problems.length === 0 ? [] : [svg('circle', { class: 'problem-badge', cx: box.width - 1, cy: 1, r: 7 }), svg('text', { class: 'problem-mark', x: box.width - 1, y: 5, 'text-anchor': 'middle' }, '!')];
  const key = node.type === 'input' ? {} : isBlock ? { 'data-block': node.id } : { 'data-layer': node.id };
  return svg(
    'g',
    { class: classes.join(' '), transform: `translate(${box.x} ${box.y})`, ...key },
    tooltip,
    svg('rect', { class: 'body', width: box.width, height: box.height, rx: 4 }),
    svg('rect', { class: 'band', width: 4, height: box.height, rx: 2 }),
    ...texts,
    ...badge,
  );
}

function arrowMarkers(): SVGDefsElement {
  const marker = (id: string) =>
    svg(
      'marker',
      { id, viewBox: '0 0 8 8', refX: 7, refY: 4, markerWidth: 7, markerHeight: 7, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse', class: id },
      svg('path', { d: 'M0 0 L8 4 L0 8 z' }),
    );
  return svg('defs', {}, marker('arrow-plain'), marker('arrow-added'));
}

// Canvas text metrics in the node font, so elk sizes boxes to their labels.
function measureText(): MeasureText {
  const context = document.createElement('canvas').getContext('2d')!;
  const family = getComputedStyle(document.body).fontFamily;
  return (text, bold) => {
    context.font = `${bold ? '600 ' : ''}12px ${family}`;
    return context.measureText(text).width;
  };
}

/** [presentation attribute, computed property it takes its value from] */
const EXPORTED_STYLES = [
  ...['fill', 'fill-opacity', 'stroke', 'stroke-width', 'stroke-dasharray', 'opacity', 'font-family', 'font-size', 'font-weight'].map((p) => [p, p]),
  ['text-decoration', 'text-decoration-line'],
];

// An exported file has no --vscode-* variables to resolve: write out what they resolved to.
// Presentation attributes rather than a style attribute, which the webview's CSP forbids.
function inlineStyles(from: Element, to: Element): void {
  if (from instanceof SVGElement && !(from instanceof SVGTitleElement)) {
    const computed = getComputedStyle(from);
    for (const [attribute, property] of EXPORTED_STYLES) to.setAttribute(attribute, computed.getPropertyValue(property));
  }
  for (let i = 0; i < from.children.length; i++) inlineStyles(from.children[i], to.children[i]);
}
