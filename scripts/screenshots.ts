// Screenshots of the webviews for docs/screenshots: each view rendered by headless Chromium from
// a static page that loads dist/webview.js with a stand-in acquireVsCodeApi (holding the view's
// state: a selection, collapsed blocks), the --vscode-* variables of a light, a dark and a high
// contrast theme, and the message the extension host would send.
//
//   npm run build && node --import tsx scripts/screenshots.ts RUN_DIR [OUT_DIR]
//
// RUN_DIR: a finished run (esnac compress ... -o RUN_DIR) for the dashboard. Needs `chromium`.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { HostMessage, WebviewState } from '../protocol/webview';
import { RunDirectory } from '../engine/run/run-directory';
import { buildSearchSpace, sampleCandidate } from '../engine/space/index';
import { loadSpecFile } from '../engine/architecture/validate';
import { Rng } from '../engine/util/rng';
import { buildDiffModel } from '../extension/view-models/diff';
import { buildGraphModel } from '../extension/view-models/graph';
import { dashboardRun } from '../extension/view-models/run';
import { findBlocks } from '../webview/model/blocks';
import { withGeneratedIds } from '../test/support/generated-ids';

type Theme = 'light' | 'dark' | 'high-contrast';

const BASE_THEMES: Record<'light' | 'dark', Record<string, string>> = {
  light: {
    'foreground': '#3b3b3b',
    'editor-background': '#ffffff',
    'descriptionForeground': '#717171',
    'disabledForeground': 'rgba(97, 97, 97, 0.5)',
    'errorForeground': '#e51400',
    'focusBorder': '#005fb8',
    'panel-border': '#e5e5e5',
    'editorWidget-background': '#f8f8f8',
    'editorWidget-foreground': '#3b3b3b',
    'editorWidget-border': '#c8c8c8',
    'widget-shadow': 'rgba(0, 0, 0, 0.16)',
    'button-background': '#005fb8',
    'button-foreground': '#ffffff',
    'button-secondaryBackground': '#e5e5e5',
    'button-secondaryForeground': '#3b3b3b',
    'button-secondaryHoverBackground': '#cccccc',
    'input-background': '#ffffff',
    'input-foreground': '#3b3b3b',
    'input-border': '#cecece',
    'input-placeholderForeground': '#767676',
    'inputValidation-errorBackground': '#f2dede',
    'inputValidation-errorBorder': '#be1100',
    'charts-foreground': '#616161',
    'charts-lines': 'rgba(97, 97, 97, 0.5)',
    'charts-red': '#e51400',
    'charts-blue': '#1a85ff',
    'charts-yellow': '#bf8803',
    'charts-orange': '#d18616',
    'charts-green': '#388a34',
    'charts-purple': '#652d90',
    'gitDecoration-addedResourceForeground': '#587c0c',
    'gitDecoration-modifiedResourceForeground': '#895503',
    'gitDecoration-deletedResourceForeground': '#ad0707',
    'editorLineNumber-foreground': '#6e7681',
    'editor-findMatchBackground': '#a8ac94',
    'editor-findMatchHighlightBackground': 'rgba(234, 92, 0, 0.33)',
    'list-activeSelectionBackground': '#e8e8e8',
    'list-activeSelectionForeground': '#000000',
    'list-hoverBackground': '#f2f2f2',
    'badge-background': '#cccccc',
    'badge-foreground': '#3b3b3b',
  },
  dark: {
    'foreground': '#cccccc',
    'editor-background': '#1f1f1f',
    'descriptionForeground': '#9d9d9d',
    'disabledForeground': 'rgba(204, 204, 204, 0.5)',
    'errorForeground': '#f85149',
    'focusBorder': '#0078d4',
    'panel-border': '#2b2b2b',
    'editorWidget-background': '#202020',
    'editorWidget-foreground': '#cccccc',
    'editorWidget-border': '#454545',
    'widget-shadow': 'rgba(0, 0, 0, 0.36)',
    'button-background': '#0078d4',
    'button-foreground': '#ffffff',
    'button-secondaryBackground': '#313131',
    'button-secondaryForeground': '#cccccc',
    'button-secondaryHoverBackground': '#3c3c3c',
    'input-background': '#313131',
    'input-foreground': '#cccccc',
    'input-border': '#3c3c3c',
    'input-placeholderForeground': '#989898',
    'inputValidation-errorBackground': '#5a1d1d',
    'inputValidation-errorBorder': '#be1100',
    'charts-foreground': '#cccccc',
    'charts-lines': 'rgba(204, 204, 204, 0.5)',
    'charts-red': '#f14c4c',
    'charts-blue': '#3794ff',
    'charts-yellow': '#cca700',
    'charts-orange': '#d18616',
    'charts-green': '#89d185',
    'charts-purple': '#b180d7',
    'gitDecoration-addedResourceForeground': '#81b88b',
    'gitDecoration-modifiedResourceForeground': '#e2c08d',
    'gitDecoration-deletedResourceForeground': '#c74e39',
    'editorLineNumber-foreground': '#6e7681',
    'editor-findMatchBackground': '#9e6a03',
    'editor-findMatchHighlightBackground': 'rgba(234, 92, 0, 0.33)',
    'list-activeSelectionBackground': '#04395e',
    'list-activeSelectionForeground': '#ffffff',
    'list-hoverBackground': '#2a2d2e',
    'badge-background': '#616161',
    'badge-foreground': '#f8f8f8',
  },
};

const THEMES: Record<Theme, Record<string, string>> = {
  ...BASE_THEMES,
  // VS Code's Dark High Contrast theme: black, white text, cyan borders, orange focus.
  'high-contrast': {
    ...BASE_THEMES.dark,
    'foreground': '#ffffff',
    'editor-background': '#000000',
    'descriptionForeground': '#ffffff',
    'focusBorder': '#f38518',
    'contrastBorder': '#6fc3df',
    'contrastActiveBorder': '#f38518',
    'panel-border': '#6fc3df',
    'editorWidget-background': '#0c141f',
    'editorWidget-border': '#6fc3df',
    'button-background': '#000000',
    'button-border': '#6fc3df',
    'button-secondaryBackground': '#000000',
    'button-secondaryForeground': '#ffffff',
    'input-background': '#000000',
    'input-border': '#6fc3df',
    'list-activeSelectionBackground': '#000000',
    'list-hoverBackground': '#000000',
    'badge-background': '#000000',
    'badge-foreground': '#ffffff',
    'charts-foreground': '#ffffff',
    'charts-lines': '#ffffff',
  },
};

const FONTS = {
  'font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif',
  'font-size': '13px',
  'editor-font-family': '"Droid Sans Mono", monospace',
};

/** How long a page gets for its layout, which runs in a worker in real time. */
const LAYOUT_WAIT_MS = 10_000;

// Headless Chromium takes its screenshot at the load event: an image this server answers late
// holds the load event back while the layout worker runs.
function startLoadDelayServer(): Promise<{ url: string; close(): void }> {
  const server = createServer((_, response) => setTimeout(() => response.writeHead(204).end(), LAYOUT_WAIT_MS));
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => server.close() })));
}

/** What one screenshot shows: the host's message and the state the webview starts from. */
interface View {
  message: HostMessage;
  state?: WebviewState;
  /** The window's width, 1400 unless given. */
  width?: number;
}

function page(root: string, theme: Theme, { message, state }: View, delayUrl: string): string {
  const variables = Object.entries({ ...FONTS, ...THEMES[theme] })
    .map(([name, value]) => `--vscode-${name}: ${value};`)
    .join('\n');
  return `<!DOCTYPE html>
<html><head><meta charset="UTF-8">
<style>body { ${variables} }</style>
<link rel="stylesheet" href="file://${root}/dist/webview.css">
</head><body class="vscode-${theme}"><div id="root"></div>
<script>
  window.acquireVsCodeApi = () => ({ postMessage() {}, getState() { return ${JSON.stringify(state)}; }, setState() {} });
</script>
<script src="file://${root}/dist/webview.js"></script>
<script>window.postMessage(${JSON.stringify(message)}, '*');</script>
<img src="${delayUrl}" hidden alt="">
</body></html>`;
}

async function views(runDir: string): Promise<Record<string, View>> {
  const teacherGraph = async (name: string): Promise<HostMessage> => ({
    type: 'graph',
    subject: { kind: 'graph', spec: `file:///${name}` },
    graph: buildGraphModel(await loadSpecFile(`examples/teachers/${name}.arch.yaml`)),
    problems: [],
    stale: false,
    layerProblems: {},
  });
  const resnet34 = await teacherGraph('resnet34-cifar10');
  // ResNet-18 as an ONNX file with generated names has it: its units found from the graph, collapsed.
  const imported = buildGraphModel(withGeneratedIds(await loadSpecFile('examples/teachers/resnet18-cifar10.arch.yaml')).spec);
  const importedUnits = findBlocks(imported);
  const units = resnet34.type === 'graph' ? findBlocks(resnet34.graph).filter((b) => b.depth === 2).map((b) => b.id) : [];
  // A candidate with all three kinds of change: layers removed, widths shrunk, skips added.
  const teacher = await loadSpecFile('examples/teachers/resnet-mini-mnist.arch.yaml');
  const space = buildSearchSpace(teacher, { p1Choices: [0.4], p3Choices: [0.05] });
  const rng = new Rng(1);
  let candidate = sampleCandidate(space, rng);
  while (candidate.action.remove.length === 0 || candidate.action.skip.length === 0) candidate = sampleCandidate(space, rng);
  const diff = buildDiffModel(teacher, candidate.spec);

  const run = RunDirectory.open(runDir);
  return {
    // A layer selected: its properties beside the graph.
    graph: { message: await teacherGraph('resnet18-cifar10'), state: { selected: 'layer2.0.conv1' } },
    // 159 layers: Fit fits the width and scrolls the height; the overview shows the rest.
    'graph-tall': { message: await teacherGraph('shufflenet-1x-g2-cifar10') },
    // The units of ResNet-34 collapsed, one selected.
    'graph-blocks': { message: resnet34, state: { collapsed: units, selected: 'layer1.2.conv1' } },
    // Ids with no prefixes: the units found from the graph collapsed, one selected.
    'graph-units': {
      message: { type: 'graph', subject: { kind: 'graph', spec: 'file:///resnet18-imported' }, graph: imported, problems: [], stale: false, layerProblems: {} },
      state: { collapsed: importedUnits.map((b) => b.id), selected: importedUnits[2].id },
    },
    diff: { message: { type: 'graphDiff', subject: { kind: 'graphDiff', teacher: 'file:///t', student: 'file:///s' }, ...diff } },
    // At 1000 px, where the table must fit without a horizontal scrollbar.
    dashboard: { message: { type: 'run', subject: { kind: 'dashboard', runDir }, run: dashboardRun(run.dir, run.manifest, run.journal.read(), 'finished') }, width: 1000 },
  };
}

async function main(): Promise<void> {
  const [runDir, out = 'docs/screenshots'] = process.argv.slice(2);
  if (!runDir) throw new Error('usage: node --import tsx scripts/screenshots.ts RUN_DIR [OUT_DIR]');
  const root = resolve('.');
  const pages = mkdtempSync(join(tmpdir(), 'esnac-screenshots-'));
  mkdirSync(out, { recursive: true });
  const delay = await startLoadDelayServer();
  for (const [name, view] of Object.entries(await views(runDir))) {
    for (const theme of Object.keys(THEMES) as Theme[]) {
      const html = join(pages, `${name}-${theme}.html`);
      writeFileSync(html, page(root, theme, view, delay.url));
      const png = resolve(out, `${name}-${theme}.png`);
      await promisify(execFile)('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--screenshot=${png}`, `--window-size=${view.width ?? 1400},900`, `file://${html}`]);
      console.log(png);
    }
  }
  delay.close();
}

void main();
