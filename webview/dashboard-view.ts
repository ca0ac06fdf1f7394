// The run dashboard: the reward of every evaluated candidate with the best so far (the paper's
// Figure 2), accuracy against the objective's cost with the Pareto front and the teacher, and a sortable table
// whose rows open, preview or diff a candidate. Redrawn whole on each update: runs are small.
import type { CandidateAction, CandidateColumn, DashboardRun } from '../protocol/webview';
import { costRatioFormula, formatCount, REWARD_FORMULA } from '../protocol/format';
import { COST_NAMES } from '../engine/cost/objective';
import { button, html, svg } from './dom';
import { CandidateRow, candidateRows, costFront, objectiveCost, rewardSeries, sortRows } from './model/dashboard';
import { linearTicks, logTicks } from './model/scale';
import type { Host } from './state';

const CHART = { width: 560, height: 310, left: 52, right: 16, top: 46, bottom: 40 };

/** A column of the candidates table; `explain` is its header's tooltip, for the terms report.md defines. */
interface Column {
  column: CandidateColumn;
  title: string;
  format: (row: CandidateRow) => string;
  numeric: boolean;
  explain?: (run: DashboardRun) => string;
  /** Shown only when some candidate has a value (runs measure MACs or latency for their objective). */
  optional?: boolean;
}

const costName = (run: DashboardRun) => COST_NAMES[run.objective].title;

const COLUMNS: Column[] = [
  { column: 'step', title: 'step', format: (r) => String(r.step), numeric: true, explain: () => 'The search step that proposed the candidate' },
  { column: 'name', title: 'candidate', format: (r) => r.name, numeric: false },
  { column: 'accuracy', title: 'accuracy', format: accuracyCell, numeric: true, explain: () => 'Validation accuracy after distillation during the search; fine-tuned and held-out test accuracy where the run measured them' },
  { column: 'params', title: 'params', format: (r) => formatCount(r.params), numeric: true },
  { column: 'macs', title: 'MACs', format: (r) => (r.macs === undefined ? '' : formatCount(r.macs)), numeric: true, optional: true, explain: () => 'Multiply-accumulates of one forward pass' },
  { column: 'latencyMs', title: 'latency', format: (r) => (r.latencyMs === undefined ? '' : milliseconds(r.latencyMs)), numeric: true, optional: true, explain: () => 'Measured median latency of one forward pass' },
  { column: 'ratio', title: 'ratio C', format: (r) => (Number.isFinite(r.ratio) ? r.ratio.toFixed(4) : ''), numeric: true, explain: (run) => `The compression ratio ${costRatioFormula(costName(run))}: 0 is the teacher's cost, near 1 almost nothing` },
  { column: 'timesSmaller', title: 'times less', format: (r) => (Number.isFinite(r.timesSmaller) ? `${r.timesSmaller.toFixed(2)}×` : ''), numeric: true, explain: (run) => `The teacher's ${costName(run)} divided by the candidate's` },
  { column: 'f', title: 'f', format: (r) => (r.f === undefined ? '' : r.f.toFixed(4)), numeric: true, explain: () => `The reward the search maximises: ${REWARD_FORMULA}, from search-time validation accuracy` },
  { column: 'proposedBy', title: 'proposed by', format: (r) => r.proposedBy, numeric: false, explain: () => 'Random sampling, or the Bayesian optimisation kernel that proposed it' },
];

const ACTIONS: { action: CandidateAction; label: string; title: string }[] = [
  { action: 'preview', label: 'Graph', title: 'Preview the architecture graph' },
  { action: 'graphDiff', label: 'Diff', title: 'Graph diff against the teacher' },
  { action: 'textDiff', label: 'Text diff', title: 'Text diff against the teacher' },
  { action: 'open', label: 'Open', title: 'Open the spec file' },
  { action: 'export', label: 'Export', title: 'Export to PyTorch or ONNX' },
];

const milliseconds = (ms: number) => `${ms < 1 ? ms.toPrecision(2) : ms.toFixed(1)} ms`;

/** The cost axis of each objective: its name, how a value and a tick read. */
const COST_AXES: Record<DashboardRun['objective'], { title: string; fewer: string; floor: number; label: (v: number) => string; tick: (t: number) => string }> = {
  params: { title: 'params', fewer: 'smaller', floor: 100, label: (v) => `${formatCount(v)} params`, tick: roundCount },
  macs: { title: 'MACs', fewer: 'fewer MACs', floor: 1000, label: (v) => `${formatCount(v)} MACs`, tick: roundCount },
  latency: { title: 'latency (ms)', fewer: 'faster', floor: 0.01, label: milliseconds, tick: (t) => String(Number(t.toPrecision(2))) },
};

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

function accuracyCell(row: CandidateRow): string {
  if (row.accuracy === undefined) return `failed${row.reason ? `: ${row.reason}` : ''}`;
  const tuned = row.finetunedAccuracy === undefined ? '' : `\nfine-tuned ${percent(row.finetunedAccuracy)}`;
  const test = row.testAccuracy === undefined ? '' : `\ntest ${percent(row.testAccuracy)}`;
  return percent(row.accuracy) + tuned + test;
}

/** Axis labels for round counts: 500, 2K, 10K, 1M. */
function roundCount(n: number): string {
  if (n >= 1e6) return `${n / 1e6}M`;
  if (n >= 1e3) return `${n / 1e3}K`;
  return String(n);
}

export class DashboardView {
  private run: DashboardRun | undefined;
  private selected: string | undefined;

  constructor(
    private readonly root: HTMLElement,
    private readonly host: Host,
  ) {}

  show(run: DashboardRun): void {
    this.run = run;
    this.render();
  }

  private render(): void {
    const run = this.run!;
    const rows = candidateRows(run);
    this.root.replaceChildren(
      html('div', { class: 'dashboard' }, header(run), html('div', { class: 'charts' }, this.rewardChart(rows), this.costChart(rows)), this.table(rows)),
    );
  }

  private select(name: string): void {
    this.selected = name;
    this.render();
    this.root.querySelector('tr.selected')?.scrollIntoView({ block: 'nearest' });
  }

  private point(name: string, cx: number, cy: number, classes: string, label: string): SVGCircleElement {
    const dot = svg('circle', { cx, cy, r: 4.5, class: `point ${classes} ${name === this.selected ? 'selected' : ''}` }, svg('title', {}, label));
    dot.addEventListener('click', () => this.select(name));
    return dot;
  }

  private rewardChart(rows: CandidateRow[]): SVGSVGElement {
    const run = this.run!;
    const series = rewardSeries(run.candidates);
    const fs = series.flatMap((p) => (p.f === undefined ? [] : [p.f]));
    const n = Math.max(run.total, series.length, 1);
    const yMax = Math.max(0.1, ...fs) * 1.08;
    const yMin = Math.min(0, ...fs);
    const { x, y, frame } = axes(
      'Reward f by evaluation (line: best so far)',
      { min: 0.5, max: n + 0.5, ticks: linearTicks(1, n, 8).filter((t) => Number.isInteger(t)), label: 'candidates evaluated', format: String },
      { min: yMin, max: yMax, ticks: linearTicks(yMin, yMax, 5), label: 'f', format: (t) => String(t) },
    );
    const stepStarts = series.filter((_, i) => i > 0 && run.candidates[i].step !== run.candidates[i - 1].step);
    const separators = stepStarts.map((p) => svg('line', { class: 'step-separator', x1: x(p.order - 0.5), x2: x(p.order - 0.5), y1: CHART.top, y2: CHART.height - CHART.bottom }));
    const withBest = series.filter((p) => p.best !== undefined);
    const bestLine = withBest.map((p, i) => `${i === 0 ? `M${x(p.order - 0.5)} ${y(p.best!)}` : `V${y(p.best!)}`} H${x(p.order + 0.5)}`).join(' ');
    const dots = series.map((p, i) => {
      const row = rows[i];
      if (p.f === undefined) return svg('text', { x: x(p.order), y: y(yMin) - 4, class: 'failed-mark', 'text-anchor': 'middle' }, '×', svg('title', {}, `${p.name}: failed`));
      const source = row.proposedBy === 'random' ? 'random' : 'kernel';
      return this.point(p.name, x(p.order), y(p.f), `${source} ${p.name === run.best ? 'best' : ''}`, `${p.name}\nf ${p.f.toFixed(4)}, ${row.proposedBy}, step ${row.step}`);
    });
    frame.append(...separators, svg('path', { class: 'best-line', d: bestLine }), ...dots, legendRow([['random', 'random'], ['kernel', 'proposed by a BO kernel']]));
    return frame;
  }

  private costChart(rows: CandidateRow[]): SVGSVGElement {
    const run = this.run!;
    const axis = COST_AXES[run.objective];
    const { split, points, front } = costFront(rows);
    const teacherCost = objectiveCost(run.objective, run.teacher);
    const teacherAccuracy = split === 'test' ? run.teacher.testAccuracy : run.teacher.accuracy;
    const teacher = teacherAccuracy !== undefined && teacherCost !== undefined && teacherCost > 0 ? { cost: teacherCost, accuracy: teacherAccuracy } : undefined;
    const all = [...points.map((p) => ({ cost: p.cost, accuracy: p.shown })), ...(teacher ? [teacher] : [])];
    const costs = all.map((p) => p.cost);
    const accuracies = all.map((p) => 100 * p.accuracy);
    const xMin = Math.min(...costs, axis.floor * 10) / 1.4;
    const xMax = Math.max(...costs, axis.floor * 100) * 1.4;
    const margin = Math.max(2, (Math.max(...accuracies, 0) - Math.min(...accuracies, 100)) * 0.1);
    const yMin = Math.max(0, Math.min(...accuracies, 100) - margin);
    const yMax = Math.min(100, Math.max(...accuracies, 0) + margin);
    const { x, y, frame } = axes(
      `${split === 'test' ? 'Test accuracy' : 'Validation accuracy'} vs ${axis.title} (line: Pareto front)`,
      { min: xMin, max: xMax, ticks: logTicks(xMin, xMax), label: `${axis.title} (log scale)`, format: axis.tick, log: true },
      { min: yMin, max: yMax, ticks: linearTicks(yMin, yMax, 5), label: split === 'test' ? 'held-out test accuracy % (validation front and delivered students)' : 'validation accuracy % (fine-tuned where it was; no test split)', format: (t) => String(t) },
    );
    const staircase = front.map((p, i) => `${i === 0 ? 'M' : 'H'}${x(p.cost)} ${i === 0 ? y(100 * p.shown) : `V${y(100 * p.shown)}`}`).join(' ');
    const onFront = new Set(front.map((p) => p.name));
    const dots = points.map((r) =>
      this.point(r.name, x(r.cost), y(100 * r.shown), `${onFront.has(r.name) ? 'front' : 'other'} ${r.name === run.best ? 'best' : ''}`, `${r.name}\n${split} ${percent(r.shown)}, ${axis.label(r.cost)} (${r.timesSmaller.toFixed(2)}× ${axis.fewer})${onFront.has(r.name) ? '\nExport it from its row below' : ''}`),
    );
    frame.append(svg('path', { class: 'front-line', d: staircase }), ...dots);
    if (teacher) {
      const tx = x(teacher.cost);
      const ty = y(100 * teacher.accuracy);
      frame.append(
        svg('path', { class: 'teacher-mark', d: `M${tx} ${ty - 7} L${tx + 7} ${ty} L${tx} ${ty + 7} L${tx - 7} ${ty} z` }, svg('title', {}, `teacher ${run.teacher.name}: ${percent(teacher.accuracy)}, ${axis.label(teacher.cost)}`)),
        svg('text', { x: tx - 10, y: ty + 4, class: 'teacher-label', 'text-anchor': 'end' }, 'teacher'),
      );
    }
    frame.append(legendRow([['front', 'on the Pareto front'], ['other', 'dominated']]));
    return frame;
  }

  private table(rows: CandidateRow[]): HTMLElement {
    const sort = this.host.state.sort ?? { column: 'f', descending: true };
    const columns = COLUMNS.filter(({ optional, format }) => !optional || rows.some((r) => format(r) !== ''));
    const head = columns.map(({ column, title, numeric, explain }) => {
      const arrow = sort.column === column ? (sort.descending ? ' ▼' : ' ▲') : '';
      const tooltip = `${explain ? `${explain(this.run!)}. ` : ''}Click to sort by ${title}.`;
      const th = html('th', { class: `${numeric ? 'numeric ' : ''}sortable ${column}`, title: tooltip }, title + arrow);
      th.addEventListener('click', () => {
        this.host.updateState({ sort: { column, descending: sort.column === column ? !sort.descending : !['name', 'proposedBy', 'params', 'macs', 'latencyMs'].includes(column) } });
        this.render();
      });
      return th;
    });
    const body = sortRows(rows, sort.column, sort.descending).map((row) => {
      // A cell's lines (accuracy: search, fine-tuned, test) each on its own line.
      const cells = columns.map(({ column, format, numeric }) => html('td', { class: `${numeric ? 'numeric ' : ''}${column}` }, ...format(row).split('\n').map((line) => html('div', {}, line))));
      const actions = html('td', { class: 'actions' }, ...ACTIONS.map(({ action, label, title }) => button(label, title, () => this.host.post({ type: 'candidate', name: row.name, action }))));
      const classes = [row.status, row.name === this.selected ? 'selected' : '', row.name === this.run!.best ? 'best' : ''];
      const tr = html('tr', { class: classes.join(' ') }, ...cells, actions);
      tr.addEventListener('click', (e) => {
        if (!(e.target instanceof HTMLButtonElement)) this.select(row.name);
      });
      return tr;
    });
    const empty = rows.length === 0 ? [html('tr', {}, html('td', { colspan: columns.length + 1, class: 'empty' }, 'No candidate evaluated yet.'))] : [];
    const table = html('table', { class: 'candidates' }, html('thead', {}, html('tr', {}, ...head, html('th', {}, ''))), html('tbody', {}, ...body, ...empty));
    return html('div', {}, table, notes(this.run!));
  }
}

/** What the terms of the table mean, as report.md says it. */
function notes(run: DashboardRun): HTMLElement {
  const cost = costName(run);
  return html(
    'p',
    { class: 'table-notes' },
    `ratio C: ${costRatioFormula(cost)} (objective: ${run.objective}). `,
    `f: ${REWARD_FORMULA}, the reward the search maximises, from search-time validation accuracy. `,
    `times less: the teacher's ${cost} over the candidate's.`,
  );
}

function header(run: DashboardRun): HTMLElement {
  const teacher = run.teacher.accuracy === undefined ? 'not measured yet' : percent(run.teacher.accuracy);
  const teacherTest = run.teacher.testAccuracy === undefined ? '' : ` (test ${percent(run.teacher.testAccuracy)})`;
  const facts = [
    `${run.dataset}, ${run.method === 'bo' ? 'Bayesian optimisation' : 'random search'}`,
    `${run.candidates.length} of ${run.total} candidates evaluated`,
    `teacher validation accuracy ${teacher}${teacherTest}, ${formatCount(run.teacher.params)} params`,
    `objective: ${run.objective}`,
    ...(run.best && !run.headline ? [`best: ${run.best}`] : []),
  ];
  return html(
    'div',
    { class: 'run-header' },
    html('h1', {}, `Compression of ${run.teacher.name}`, html('span', { class: `status ${run.status}` }, run.status)),
    ...(run.headline ? [html('div', { class: 'headline' }, run.headline)] : []),
    ...(run.progress ? [html('div', { class: 'progress', role: 'status' }, run.progress)] : []),
    html('div', { class: 'facts' }, facts.join(' · ')),
    ...(run.preprocessing ? [html('div', { class: 'facts' }, `input: ${run.preprocessing}`)] : []),
    html('div', { class: 'run-dir' }, run.runDir),
  );
}

interface Axis {
  min: number;
  max: number;
  ticks: number[];
  label: string;
  format: (t: number) => string;
  log?: boolean;
}

function axes(title: string, xAxis: Axis, yAxis: Axis): { x: (v: number) => number; y: (v: number) => number; frame: SVGSVGElement } {
  const { width, height, left, right, top, bottom } = CHART;
  const scale = (axis: Axis, from: number, to: number) => {
    const t = axis.log ? Math.log10 : (v: number) => v;
    return (v: number) => from + ((t(v) - t(axis.min)) / (t(axis.max) - t(axis.min))) * (to - from);
  };
  const x = scale(xAxis, left, width - right);
  const y = scale(yAxis, height - bottom, top);
  const frame = svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title });
  frame.append(
    svg('text', { x: left, y: 16, class: 'chart-title' }, title),
    ...xAxis.ticks.flatMap((t) => [
      svg('line', { class: 'grid', x1: x(t), x2: x(t), y1: top, y2: height - bottom }),
      svg('text', { x: x(t), y: height - bottom + 14, class: 'tick', 'text-anchor': 'middle' }, xAxis.format(t)),
    ]),
    ...yAxis.ticks.flatMap((t) => [
      svg('line', { class: 'grid', x1: left, x2: width - right, y1: y(t), y2: y(t) }),
      svg('text', { x: left - 6, y: y(t) + 4, class: 'tick', 'text-anchor': 'end' }, yAxis.format(t)),
    ]),
    svg('rect', { class: 'plot-frame', x: left, y: top, width: width - left - right, height: height - top - bottom }),
    svg('text', { x: (left + width - right) / 2, y: height - 6, class: 'axis-label', 'text-anchor': 'middle' }, xAxis.label),
    svg('text', { x: 12, y: (top + height - bottom) / 2, class: 'axis-label', 'text-anchor': 'middle', transform: `rotate(-90 12 ${(top + height - bottom) / 2})` }, yAxis.label),
  );
  return { x, y, frame };
}

function legendRow(entries: [string, string][]): SVGGElement {
  let offset = CHART.width - CHART.right;
  const items = [...entries].reverse().map(([cls, text]) => {
    const width = text.length * 6.5 + 24;
    offset -= width;
    return svg('g', { transform: `translate(${offset} ${CHART.top - 12})` }, svg('circle', { cx: 4, cy: -4, r: 4, class: `point ${cls}` }), svg('text', { x: 12, y: 0, class: 'tick' }, text));
  });
  return svg('g', { class: 'chart-legend' }, ...items);
}
