// The engine as a library (package.json "exports": `esnac`): read and check an architecture spec,
// build the search space around a teacher, compress it (or resume a run), import and export
// models. The CLI (engine/cli), the language server (engine/server) and the extension are built
// on these; deeper modules stay reachable by path, but this is the surface meant to last.

// Architecture specs: the format, its checks, shapes, diffs, writing.
export type { ArchitectureSpec, Layer, LayerType } from './architecture/types';
export { checkSpecFile, checkSpecText, formatProblems, loadSpecFile } from './architecture/validate';
export type { Problem } from './architecture/validate';
export { inferShapes } from './architecture/shapes';
export type { ShapeReport } from './architecture/shapes';
export { diffSpecs, formatDiff } from './architecture/diff';
export type { SpecDiff } from './architecture/diff';
export { specToText } from './architecture/write';
export type { SpecFormat } from './architecture/write';
export { ZOO_NAMES, zooTeacher } from './zoo/index';
export type { ZooDataset, ZooName } from './zoo/index';

// The search space around a teacher, and its candidates.
export { buildSearchSpace, drawCandidates, reward } from './space/index';
export type { Action, DrawnCandidate, SearchSpace, SearchSpaceOptions } from './space/index';

// Compressing: a new run, or `resume` of a stopped one; settings with their defaults.
export { compress } from './search/compress';
export type { CompressHooks, CompressOptions, CompressResult } from './search/compress';
export { DEFAULT_SETTINGS } from './run/settings';
export type { SearchSettings } from './run/settings';
export { loadDataset } from './data/index';
export type { Dataset } from './data/index';

// Trained weights, and models in and out: ONNX import, PyTorch and ONNX export.
export { loadModel, readModel, writeModel } from './model/io';
export { exportSpecFile, importOnnxFile } from './interop/files';
export type { ExportFormat, ExportRequest, ExportResult, ImportRequest, ImportResult } from './interop/files';
