// The messages between the extension host's panels (extension/panels) and their webviews
// (webview/), and the data they carry. Like protocol/index.ts it imports nothing but that file, so
// the host, the browser bundle and the unit tests all load it.
//
// The host parses and measures specs where the files are and sends only finished graphs and run
// records: the webview never reads a file. Handshake: the webview posts `ready` once its script
// runs; the host queues everything it sends before that (sprotty-vscode's pattern).

import type { CandidateEvent, Objective, RunStatus } from './index';

/** The webview panel types; package.json activates the extension on `onWebviewPanel:<type>`. */
export const ViewTypes = {
  graph: 'esnac.graph',
  graphDiff: 'esnac.graphDiff',
  dashboard: 'esnac.dashboard',
} as const;

// ---- graphs ----

/** The colour family of a layer type; the webview maps each to a `--vscode-charts-*` colour. */
export type ColourClass = 'input' | 'conv' | 'linear' | 'norm' | 'activation' | 'pool' | 'reshape' | 'merge' | 'identity' | 'dropout' | 'block';

/** What a graph diff says about a layer of the teacher/student union. */
export type NodeStatus = 'unchanged' | 'removed' | 'shrunk' | 'added' | 'retyped' | 'changed';

/** What a graph diff says about an edge: `added` is a new skip connection. */
export type EdgeStatus = 'unchanged' | 'added' | 'removed';

export interface GraphNode {
  /** The layer id; unique in the graph and stable across edits, so it keys the layout. */
  id: string;
  type: string;
  colour: ColourClass;
  /** The attributes worth a glance: '3x3 /2' for a strided conv, 'g2' for a shuffle, '#1 of 2' for a chunk, '3x3 /2 ceil' for a ceil-mode pool, 'eps=0.001' for a batchnorm's own epsilon. */
  detail: string;
  /** Output shape as CxHxW, or '?' when inference stopped upstream. */
  shape: string;
  params: number;
  macs: number;
  /** Every attribute the spec gives the layer (not id, type, inputs), as the properties panel lists them. */
  attributes: [name: string, value: string][];
  /** In a diff only. */
  status?: NodeStatus;
  /** In a diff: the change in a few words ('64 -> 32 ch', 'now identity'). */
  change?: string;
}

export interface GraphEdge {
  /** A layer id, or `input` for the network input. */
  from: string;
  to: string;
  /** Position of `from` among `to`'s inputs: the order of concat operands matters. */
  port: number;
  /** In a diff only. */
  status?: EdgeStatus;
}

export interface GraphModel {
  name: string;
  /** The network input as CxHxW; drawn as the node `input`. */
  inputShape: string;
  /** Layers in topological order. */
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** The output layer's id. */
  output: string;
  params: number;
  macs: number;
}

/** Counts for the legend of a graph diff. */
export interface GraphDiffSummary {
  teacher: { name: string; params: number; layers: number };
  student: { name: string; params: number; layers: number };
  removed: number;
  shrunk: number;
  addedEdges: number;
  timesSmaller: number;
}

// ---- runs ----

/** A candidate as the dashboard lists it: its journal event, less what only the engine reads. */
export interface DashboardCandidate extends Pick<CandidateEvent, 'step' | 'name' | 'proposedBy' | 'status' | 'params' | 'macs' | 'accuracy' | 'f' | 'reason' | 'seconds'> {
  /** Measured median ms, in runs that measure latency. */
  latencyMs?: number;
  /** Accuracy after fine-tuning, for the top candidates of a finished run. */
  finetunedAccuracy?: number;
  /** Held-out test accuracy, for the students a finished run delivers. */
  testAccuracy?: number;
}

export interface DashboardRun {
  /** The run directory, for the title. */
  runDir: string;
  /** `accuracy` on the validation split; `testAccuracy` on the held-out test split at the end. */
  teacher: { name: string; params: number; macs?: number; latencyMs?: number; accuracy?: number; testAccuracy?: number };
  dataset: string;
  /** The input every network of the run gets (normalisation, augmentation), in words. */
  preprocessing?: string;
  method: string;
  /** The cost C counts. */
  objective: Objective;
  /** Candidates the search will evaluate in all (steps x kernels). */
  total: number;
  /** The engine's answer (esnac/runState), not a guess from file times. */
  status: RunStatus;
  /** A running run's phase, share done and time left, in words (the progress notification's line). */
  progress?: string;
  /** The best student's name once the run is done. */
  best?: string;
  /** The finished run's headline: the best student's test accuracy next to the teacher's, its size. */
  headline?: string;
  /** In evaluation order. */
  candidates: DashboardCandidate[];
}

// ---- what a panel shows, kept in the webview's state so the serializer can restore it ----

export type PanelSubject =
  | { kind: 'graph'; spec: string }
  | { kind: 'graphDiff'; teacher: string; student: string }
  | { kind: 'dashboard'; runDir: string };

/**
 * What the graph view shows: the graph point at the centre of the view, and the zoom. Kept by its
 * centre, so a resized panel (or one reloaded at another size) still shows what it showed.
 * `fitted`: set by Fit, cleared by any pan or zoom; a fitted view is fitted again on resize.
 */
export interface Viewport {
  centreX: number;
  centreY: number;
  scale: number;
  fitted: boolean;
}

/** How the graph is laid out: top to bottom, or left to right. */
export type GraphDirection = 'DOWN' | 'RIGHT';

export type CandidateColumn = 'step' | 'name' | 'accuracy' | 'params' | 'macs' | 'latencyMs' | 'ratio' | 'timesSmaller' | 'f' | 'proposedBy';

/** The webview's vscode.setState; the host's serializer reads `subject` back after a reload. */
export interface WebviewState {
  subject?: PanelSubject;
  viewport?: Viewport;
  /** The graph's collapsed blocks (their ids, e.g. `layer1.0.*`, or a unit's `Conv_3 … Relu_9`). */
  collapsed?: string[];
  direction?: GraphDirection;
  /** The selected layer or block, whose properties show. */
  selected?: string;
  sort?: { column: CandidateColumn; descending: boolean };
}

// ---- host -> webview ----

export type HostMessage =
  /**
   * The spec's graph, again after each edit, with the spec's problems. `stale`: the spec as it is
   * now cannot be drawn, so this is the last version that could.
   */
  | { type: 'graph'; subject: PanelSubject; graph: GraphModel; problems: string[]; stale: boolean; layerProblems: LayerProblems }
  /** The spec cannot be drawn at all yet: no good version was seen. */
  | { type: 'failure'; subject: PanelSubject; message: string }
  /** The teacher/student union with node and edge statuses. */
  | { type: 'graphDiff'; subject: PanelSubject; graph: GraphModel; summary: GraphDiffSummary }
  /** The whole run record, again whenever its journal grows. */
  | { type: 'run'; subject: PanelSubject; run: DashboardRun }
  /** The spec editor's cursor is in this layer: select it. Not kept for a reloaded webview (its state keeps the selection). */
  | { type: 'select'; subject: PanelSubject; layerId: string };

/** The spec's problems by the layer they are in, for the marks on the graph's nodes. */
export type LayerProblems = Record<string, string[]>;

// ---- webview -> host ----

/** `export`: to PyTorch or ONNX, as the explorer's Export Student command does. */
export type CandidateAction = 'preview' | 'open' | 'graphDiff' | 'textDiff' | 'export';

export type WebviewMessage =
  /** The script runs: the host may send (and flushes what it queued). */
  | { type: 'ready' }
  /** Show the layer in its spec file; `side` picks the file in a graph diff. */
  | { type: 'revealLayer'; layerId: string; side?: 'teacher' | 'student' }
  /** Save the drawn graph; the host asks where. */
  | { type: 'exportSvg'; svg: string; fileName: string }
  /** The same picture as PNG, base64 encoded. */
  | { type: 'exportPng'; png: string; fileName: string }
  /** Act on a candidate of the dashboard's run, by name. */
  | { type: 'candidate'; name: string; action: CandidateAction }
  /** A failure inside the webview (a layout that threw), for the log. */
  | { type: 'error'; message: string };
