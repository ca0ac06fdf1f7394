// The architecture graph (and the teacher/student diff, which is a graph with statuses): elkjs
// layout in a worker, drawn as SVG, with pan and zoom that survive updates and reloads, Fit,
// search by layer id, click to reveal a layer in its spec, and SVG export.
import type { ElkNode } from 'elkjs/lib/elk-api';
import type { GraphDiffSummary, GraphModel, GraphNode, Viewport } from '../protocol/webview';
import { formatCount } from '../engine/architecture/stats';
import { errorMessage } from '../engine/util/errors';
import { button, html, svg } from './dom';
import { Layouter } from './layout';
import { buildElkGraph, inputNode, MeasureText, NODE_METRICS, nodeLines } from './model/elk';
import type { Host } from './state';

/** The smallest zoom the first view of a tall graph uses: below it the labels are unreadable. */
const READABLE_SCALE = 0.6;
/** The zoom a tall graph starts at: labels still easy to read, more of the graph in view. */
const FIRST_SCALE = 0.8;
const ZOOM_STEP = 1.25;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

interface Drawn {
  model: GraphModel;
  width: number;
  height: number;
  boxes: Map<string, Box>;
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
  private viewport: Viewport | undefined;
  private drawn: Drawn | undefined;
  private matches: string[] = [];
  private matchIndex = -1;
  private side: 'teacher' | 'student' | undefined;

  constructor(
    root: HTMLElement,
    private readonly host: Host,
  ) {
    this.viewport = host.state.viewport;
    this.svgRoot.append(arrowMarkers(), this.content);
    const toolbar = html(
      'div',
      { class: 'toolbar' },
      this.title,
      html('span', { class: 'spacer' }),
      this.searchBox,
      this.searchCount,
      button('Fit', 'Fit the whole graph in view', () => this.fit()),
      button('+', 'Zoom in', () => this.zoomBy(ZOOM_STEP)),
      button('−', 'Zoom out', () => this.zoomBy(1 / ZOOM_STEP)),
      button('Export SVG', 'Save the graph as an SVG file', () => this.exportSvg()),
    );
    const stage = html('div', { class: 'stage' }, this.svgRoot, this.legend);
    root.replaceChildren(html('div', { class: 'graph-view' }, toolbar, this.banner, stage));
    this.searchBox.addEventListener('input', () => this.search(false));
    this.searchBox.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.search(true);
    });
    this.enablePanZoom();
    new ResizeObserver(() => this.applyViewport()).observe(this.svgRoot);
  }

  async show(model: GraphModel, problems: string[], stale: boolean, diff?: GraphDiffSummary): Promise<void> {
    this.side = diff ? 'student' : undefined;
    this.showProblems(problems, stale ? 'The spec has problems; this is its last version that could be drawn.' : 'The spec has problems:');
    this.showLegend(diff);
    this.title.textContent = `${model.name}: ${model.nodes.length} layers, ${formatCount(model.params)} params, ${formatCount(model.macs)} MACs`;
    let laidOut: ElkNode | undefined;
    try {
      laidOut = await this.layouter.layout(buildElkGraph(model, measureText()));
    } catch (err) {
      this.host.post({ type: 'error', message: `layout of ${model.name} failed: ${errorMessage(err)}` });
      return;
    }
    if (!laidOut) return;
    this.draw(model, laidOut);
  }

  /** The spec cannot be drawn: say why and keep whatever was drawn before. */
  showFailure(message: string): void {
    this.showProblems(message.split('\n'), this.drawn ? 'The spec cannot be drawn now; this is its last version that could.' : 'The spec cannot be drawn:');
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

  private showLegend(diff: GraphDiffSummary | undefined): void {
    this.legend.hidden = !diff;
    if (!diff) return;
    const swatch = (cls: string) => svg('svg', { width: 34, height: 14, class: `swatch ${cls}` }, svg('rect', { x: 1, y: 1, width: 32, height: 12, rx: 3 }));
    const edgeSwatch = svg('svg', { width: 34, height: 14, class: 'swatch edge added' }, svg('path', { d: 'M2 7 H32' }));
    const row = (icon: Node, text: string) => html('div', { class: 'legend-row' }, icon, html('span', {}, text));
    this.legend.replaceChildren(
      html('div', { class: 'legend-title' }, `${diff.teacher.name} → ${diff.student.name}`),
      html('div', {}, `${formatCount(diff.teacher.params)} → ${formatCount(diff.student.params)} params (${diff.timesSmaller.toFixed(2)}× smaller)`),
      row(swatch('node removed'), `removed (now identity): ${diff.removed}`),
      row(swatch('node shrunk'), `shrunk, old → new channels: ${diff.shrunk}`),
      row(edgeSwatch, `added skip connection: ${diff.addedEdges}`),
      row(swatch('node unchanged'), 'unchanged'),
    );
  }

  private draw(model: GraphModel, laidOut: ElkNode): void {
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
      return drawNode(node, box, node.id === model.output);
    });
    this.content.replaceChildren(svg('g', { class: 'edges' }, ...edges), svg('g', { class: 'nodes' }, ...nodes));
    const first = !this.drawn;
    this.drawn = { model, width: laidOut.width ?? 0, height: laidOut.height ?? 0, boxes };
    if (first && !this.viewport) this.viewport = this.firstViewport();
    this.applyViewport();
    this.search(false);
  }

  // ---- viewport ----

  private size(): { width: number; height: number } {
    const r = this.svgRoot.getBoundingClientRect();
    return { width: Math.max(r.width, 1), height: Math.max(r.height, 1) };
  }

  /** Whole graph when it is readable so; else as wide as fits at a readable zoom, from the top. */
  private firstViewport(): Viewport {
    const fitted = this.fitted();
    if (fitted.scale >= READABLE_SCALE) return fitted;
    const { width } = this.size();
    const scale = Math.max(READABLE_SCALE, Math.min(FIRST_SCALE, (width - 40) / this.drawn!.width));
    return { scale, x: (width - this.drawn!.width * scale) / 2, y: 20 };
  }

  private fitted(): Viewport {
    const { width, height } = this.size();
    const { width: w, height: h } = this.drawn ?? { width: 1, height: 1 };
    const scale = Math.min(1.5, (width - 40) / Math.max(w, 1), (height - 40) / Math.max(h, 1));
    return { scale, x: (width - w * scale) / 2, y: (height - h * scale) / 2 };
  }

  private fit(): void {
    this.viewport = this.fitted();
    this.applyViewport();
  }

  private zoomBy(factor: number, at?: { x: number; y: number }): void {
    const v = this.viewport ?? this.fitted();
    const { width, height } = this.size();
    const { x: px, y: py } = at ?? { x: width / 2, y: height / 2 };
    const scale = Math.min(4, Math.max(0.02, v.scale * factor));
    this.viewport = { scale, x: px - ((px - v.x) * scale) / v.scale, y: py - ((py - v.y) * scale) / v.scale };
    this.applyViewport();
  }

  private applyViewport(): void {
    if (!this.viewport) return;
    const { x, y, scale } = this.viewport;
    this.content.setAttribute('transform', `translate(${x} ${y}) scale(${scale})`);
    this.host.updateState({ viewport: this.viewport });
  }

  private centreOn(id: string): void {
    const box = this.drawn?.boxes.get(id);
    if (!box) return;
    const { width, height } = this.size();
    const scale = Math.max(this.viewport?.scale ?? 1, 0.8);
    this.viewport = { scale, x: width / 2 - (box.x + box.width / 2) * scale, y: height / 2 - (box.y + box.height / 2) * scale };
    this.applyViewport();
  }

  // Drag pans; a press released where it started is a click, which reveals the layer.
  private enablePanZoom(): void {
    let drag: { x: number; y: number; startX: number; startY: number; moved: boolean } | undefined;
    this.svgRoot.addEventListener('pointerdown', (e) => {
      drag = { x: e.clientX, y: e.clientY, startX: e.clientX, startY: e.clientY, moved: false };
      this.svgRoot.setPointerCapture(e.pointerId);
    });
    this.svgRoot.addEventListener('pointermove', (e) => {
      if (!drag || !this.viewport) return;
      drag.moved ||= Math.hypot(e.clientX - drag.startX, e.clientY - drag.startY) > 4;
      this.viewport = { ...this.viewport, x: this.viewport.x + e.clientX - drag.x, y: this.viewport.y + e.clientY - drag.y };
      drag.x = e.clientX;
      drag.y = e.clientY;
      this.applyViewport();
    });
    this.svgRoot.addEventListener('pointerup', (e) => {
      const clicked = drag && !drag.moved;
      drag = undefined;
      if (!clicked) return;
      const target = document.elementFromPoint(e.clientX, e.clientY)?.closest('[data-layer]');
      const layerId = target?.getAttribute('data-layer');
      if (layerId) this.reveal(layerId);
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
          this.viewport = { ...this.viewport, x: this.viewport.x - e.deltaX, y: this.viewport.y - e.deltaY };
          this.applyViewport();
        }
      },
      { passive: false },
    );
  }

  private reveal(layerId: string): void {
    const node = this.drawn?.model.nodes.find((n) => n.id === layerId);
    if (!node) return;
    // A layer the student dropped exists only in the teacher's file.
    const side = this.side && (node.status === 'removed' && node.change === 'dropped' ? 'teacher' : 'student');
    this.host.post({ type: 'revealLayer', layerId, ...(side && { side }) });
  }

  // ---- search ----

  private search(next: boolean): void {
    const query = this.searchBox.value.trim().toLowerCase();
    const ids = query === '' || !this.drawn ? [] : this.drawn.model.nodes.map((n) => n.id).filter((id) => id.toLowerCase().includes(query));
    if (ids.join('\u0000') !== this.matches.join('\u0000')) this.matchIndex = -1;
    this.matches = ids;
    this.content.querySelectorAll('[data-layer]').forEach((g) => {
      g.classList.toggle('match', ids.includes(g.getAttribute('data-layer')!));
      g.classList.remove('current');
    });
    if (ids.length > 0 && (next || this.matchIndex === -1)) {
      this.matchIndex = (this.matchIndex + 1) % ids.length;
      this.centreOn(ids[this.matchIndex]);
    }
    if (this.matchIndex >= 0 && ids.length > 0) this.content.querySelector(`[data-layer="${CSS.escape(ids[this.matchIndex])}"]`)?.classList.add('current');
    this.searchCount.textContent = query === '' ? '' : ids.length === 0 ? 'no match' : `${this.matchIndex + 1} of ${ids.length}`;
  }

  // ---- export ----

  /** The whole graph with the theme's colours written into each element, as a standalone file. */
  private exportSvg(): void {
    if (!this.drawn) return;
    const margin = 16;
    const { width, height, model } = this.drawn;
    const copy = this.svgRoot.cloneNode(true) as SVGSVGElement;
    inlineStyles(this.svgRoot, copy);
    copy.querySelector(':scope > g')!.setAttribute('transform', `translate(${margin} ${margin})`);
    const w = Math.ceil(width + 2 * margin);
    const h = Math.ceil(height + 2 * margin);
    copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
    copy.setAttribute('viewBox', `0 0 ${w} ${h}`);
    copy.setAttribute('width', String(w));
    copy.setAttribute('height', String(h));
    copy.removeAttribute('class');
    const background = getComputedStyle(document.body).getPropertyValue('--vscode-editor-background').trim() || 'white';
    copy.insertBefore(svg('rect', { width: w, height: h, fill: background }), copy.firstChild);
    this.host.post({ type: 'exportSvg', svg: new XMLSerializer().serializeToString(copy), fileName: `${model.name}.svg` });
  }
}

function drawNode(node: GraphNode, box: Box, isOutput: boolean): SVGGElement {
  const lines = nodeLines(node);
  const classes = ['node', node.colour, node.status ?? '', isOutput ? 'output' : ''].filter((c) => c !== '');
  const texts = lines.map((line, i) =>
    svg(
      'text',
      { x: NODE_METRICS.paddingX, y: NODE_METRICS.paddingY + NODE_METRICS.lineHeight * (i + 1) - 4, class: ['id', 'info', 'change'][i] },
      line,
    ),
  );
  const tooltip = svg('title', {}, `${node.id} (${node.type})\noutput ${node.shape}\n${node.params.toLocaleString('en-US')} params${node.change ? `\n${node.change}` : ''}`);
  return svg(
    'g',
    { class: classes.join(' '), transform: `translate(${box.x} ${box.y})`, 'data-layer': node.type === 'input' ? undefined : node.id },
    tooltip,
    svg('rect', { class: 'body', width: box.width, height: box.height, rx: 4 }),
    svg('rect', { class: 'band', width: 4, height: box.height, rx: 2 }),
    ...texts,
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
