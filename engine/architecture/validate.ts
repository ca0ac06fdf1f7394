// Checking architecture specs in three stages: the schema (schemas/architecture.schema.json), the
// graph (unique ids, known references, no cycles), then shapes (engine/architecture/shapes). A
// stage checks what the one before found sound: the graph skips layers the schema refuses, shapes
// are inferred for every layer that depends on no broken one, so every independent problem of a
// file is reported at once. From text every problem gets a position; from an in-memory spec (a
// generated candidate) a path.
import Ajv, { ErrorObject } from 'ajv';
import { open } from 'node:fs/promises';
import schema from '../../schemas/architecture.schema.json';
import { errorMessage, UserError } from '../util/errors';
import { layerInputs, ResolvedGraph, resolveGraph, soundLayers } from './graph';
import { inferShapes, ShapeReport } from './shapes';
import { MAX_SPEC_BYTES, parseSource, Problem, SourceDocument } from './source';
import { ArchitectureSpec, INPUT_ID, SpecIssue, SpecPath } from './types';

export type { Position, Problem, Range } from './source';

/** An issue that is best shown on a property's name rather than its value. */
interface LocatedIssue extends SpecIssue {
  at?: 'key';
}

interface Checked {
  spec?: ArchitectureSpec;
  issues: LocatedIssue[];
  /** The resolved graph and the shapes, computed for the last stage: returned to save callers a second pass. */
  graph?: ResolvedGraph;
  shapes?: ShapeReport;
}

/** A checked spec text: `spec`, `graph` and `shapes` once the schema and the graph are sound. */
export interface CheckedText {
  spec?: ArchitectureSpec;
  problems: Problem[];
  graph?: ResolvedGraph;
  shapes?: ShapeReport;
}

// The discriminator picks a layer's branch by its type, so valid layers cost no failed branches.
const validateSchema = new Ajv({ allErrors: true, verbose: true, discriminator: true }).compile<ArchitectureSpec>(schema);

/**
 * ajv gathers errors by concatenating arrays, quadratic in their number, and checks every item
 * even past maxItems: too many layers are refused before it runs.
 */
const MAX_LAYERS: number = schema.properties.layers.maxItems;

/**
 * Checks a spec's text (a file, or an unsaved editor buffer): JSON when `fileName` ends in .json,
 * YAML otherwise. Problem ranges are 0-based. `spec` is returned once the schema and the graph
 * are sound (so resolveGraph and inferShapes can run on it), even if shape problems remain.
 */
export function checkSpecText(text: string | Uint8Array, fileName: string): CheckedText {
  const { document, problems } = parseSource(text, fileName);
  return document ? checkSourceDocument(document) : { problems };
}

/** Checks an already parsed spec text (so a caller that needs its positions parses it once). */
export function checkSourceDocument(document: SourceDocument): CheckedText {
  const { issues, ...checked } = check(document.value);
  return { ...checked, problems: issues.map((issue) => locateIssue(document, issue)).sort(byPosition) };
}

/** Checks an in-memory spec (e.g. a generated candidate): schema, graph and shapes. */
export function checkSpec(spec: ArchitectureSpec): SpecIssue[] {
  return check(spec).issues.map(({ path, message }) => ({ path, message }));
}

/** Reads and checks a spec file; unreadable files are a UserError, problems are returned. */
export async function checkSpecFile(path: string): Promise<CheckedText> {
  return checkSpecText(await readSpecBytes(path), path);
}

/** A valid spec from a file, or a UserError listing every problem as FILE:LINE:COL: message. */
export async function loadSpecFile(path: string): Promise<ArchitectureSpec> {
  const { spec, problems } = await checkSpecFile(path);
  if (!spec || problems.length > 0) throw new UserError(formatProblems(path, problems));
  return spec;
}

/** One `FILE:LINE:COL: message` line per problem, 1-based as editors and compilers print them. */
export function formatProblems(fileName: string, problems: Problem[]): string {
  return problems.map((p) => `${fileName}:${p.range.start.line + 1}:${p.range.start.column + 1}: ${p.message}`).join('\n');
}

function check(value: unknown): Checked {
  const layers = (value as { layers?: unknown } | null)?.layers;
  if (Array.isArray(layers) && layers.length > MAX_LAYERS) {
    return { issues: [{ path: ['layers'], message: `the spec has ${layers.length} layers; the limit is ${MAX_LAYERS} (a search space holds skip connections between every two layers of a shape, so its size grows with the square of the layers)` }] };
  }
  if (validateSchema(value)) {
    const graph = graphIssues(value, new Set());
    if (graph.issues.length === 0) {
      const resolved = resolveGraph(value);
      const shapes = inferShapes(value, resolved);
      return { spec: value, issues: shapes.issues, graph: resolved, shapes };
    }
    return { issues: [...graph.issues, ...partialShapeIssues(value, graph.broken, true)] };
  }
  const errors = validateSchema.errors ?? [];
  const issues = schemaIssues(errors, value);
  const sound = soundPart(errors);
  if (!sound) return { issues };
  // The schema vouches for the top level and the layers not in `broken`: enough to go on with those.
  const spec = value as ArchitectureSpec;
  const graph = graphIssues(spec, sound.broken);
  return { issues: [...issues, ...graph.issues, ...partialShapeIssues(spec, graph.broken, sound.output)] };
}

/**
 * What of a spec the schema refused is still sound: undefined when the input or the layer list
 * itself is broken (no shape can be known), else the layers it refuses and whether the network's
 * output (classes, output) can be checked.
 */
function soundPart(errors: ErrorObject[]): { broken: Set<number>; output: boolean } | undefined {
  const broken = new Set<number>();
  let output = true;
  for (const err of errors) {
    const path = pointerToPath(err.instancePath);
    const missing = err.keyword === 'required' && path.length === 0 ? (err.params as { missingProperty?: string }).missingProperty : undefined;
    // The spec itself is not an object: nothing in it can be sound.
    if (path.length === 0 && missing === undefined && err.keyword !== 'additionalProperties') return undefined;
    const top = missing ?? path[0];
    if (top === 'input' || (top === 'layers' && typeof path[1] !== 'number')) return undefined;
    if (top === 'layers') broken.add(path[1] as number);
    if (top === 'classes' || top === 'output') output = false;
  }
  return { broken, output };
}

/** The shape problems of the layers that read no broken layer (directly or through others). */
function partialShapeIssues(spec: ArchitectureSpec, broken: ReadonlySet<number>, output: boolean): SpecIssue[] {
  const order = soundLayers(spec, broken);
  const outputId = spec.output ?? spec.layers.at(-1)?.id;
  const outputSound = output && order.some((e) => e.layer.id === outputId && !broken.has(e.index));
  return inferShapes(spec, { order, output: outputSound ? outputId : undefined }).issues;
}

function locateIssue(document: SourceDocument, { path, message, at, fix }: LocatedIssue): Problem {
  return { message, range: document.locate(path, at), path, ...(fix ? { fix } : {}) };
}

function byPosition(a: Problem, b: Problem): number {
  return a.range.start.line - b.range.start.line || a.range.start.column - b.range.start.column;
}

// Reads at most one byte past the limit, so a huge file is refused without loading it.
async function readSpecBytes(path: string): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(path, 'r');
    const buffer = new Uint8Array(MAX_SPEC_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : errorMessage(err);
    throw new UserError(`${path}: cannot read the file: ${reason}`);
  } finally {
    await handle?.close();
  }
}

// ---- schema ----

function schemaIssues(errors: ErrorObject[], value: unknown): LocatedIssue[] {
  const issues: LocatedIssue[] = [];
  const seen = new Set<string>();
  for (const err of errors) {
    // A layer without a known type fails the discriminator too; the enum and required errors
    // on `type` say so better.
    if (err.keyword === 'discriminator') continue;
    const issue = describeSchemaError(err, pointerToPath(err.instancePath), value);
    const key = JSON.stringify([issue.path, issue.message]);
    if (!seen.has(key)) issues.push(issue);
    seen.add(key);
  }
  return issues;
}

function pointerToPath(pointer: string): SpecPath {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

const TYPE_NAMES: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object (a mapping of keys to values)',
  array: 'a list',
};

function describeSchemaError(err: ErrorObject, path: SpecPath, value: unknown): LocatedIssue {
  const subject = describePath(path, value);
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'required': {
      const property = String(params.missingProperty);
      return { path, message: `${subject} is missing the required property '${property}'`, fix: { kind: 'missingProperty', property } };
    }
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const allowed = Object.keys((err.parentSchema?.properties as object | undefined) ?? {});
      return { path: [...path, name], at: 'key', message: `${subject} has an unknown property '${name}' (allowed: ${allowed.join(', ')})` };
    }
    case 'type':
      return { path, message: `${subject} must be ${TYPE_NAMES[String(params.type)] ?? params.type}` };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).join(', ');
      if (path.at(-1) === 'type') return { path, message: `unknown layer type '${String(err.data)}' (one of: ${allowed})`, fix: { kind: 'unknownType' } };
      return { path, message: `${subject} must be one of: ${allowed}` };
    }
    case 'const':
      return { path, message: `${subject} must be '${String(params.allowedValue)}'` };
    case 'minimum':
      return { path, message: `${subject} must be at least ${params.limit}` };
    case 'maximum':
      return { path, message: `${subject} must be at most ${params.limit}` };
    case 'exclusiveMinimum':
      return { path, message: `${subject} must be more than ${params.limit}` };
    case 'exclusiveMaximum':
      return { path, message: `${subject} must be less than ${params.limit}` };
    case 'minItems':
    case 'minLength':
      return { path, message: `${subject} must not be empty` };
    case 'maxItems':
      return { path, message: `${subject} must have at most ${params.limit} items` };
    case 'maxLength':
      return { path, message: `${subject} must be at most ${params.limit} characters long` };
    case 'pattern':
      return { path, message: `'${String(err.data)}' is not a valid layer id: use letters, digits, '_', '.' and '-', starting with a letter or '_'` };
    case 'not':
      return { path, message: `'${INPUT_ID}' is reserved for the network input; choose another layer id` };
    default:
      return { path, message: `${subject} ${err.message ?? 'is invalid'}` };
  }
}

/** A path in words: `the spec`, `input.height`, `layer 'c1'`, `inputs[0] of layer 'c1'`. */
function describePath(path: SpecPath, value: unknown): string {
  if (path.length === 0) return 'the spec';
  const dotted = (segments: SpecPath) => segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
  if (path[0] === 'layers' && typeof path[1] === 'number') {
    const id = (value as { layers?: { id?: unknown }[] }).layers?.[path[1]]?.id;
    const layer = typeof id === 'string' ? `layer '${id}'` : `layers[${path[1]}]`;
    return path.length === 2 ? layer : `${dotted(path.slice(2))} of ${layer}`;
  }
  return dotted(path);
}

// ---- graph ----

/**
 * The graph's problems among the layers the schema passed (`schemaBroken` it refused: their ids
 * still count, when they are text), and every layer they make unusable for shape inference.
 */
function graphIssues(spec: ArchitectureSpec, schemaBroken: ReadonlySet<number>): { issues: SpecIssue[]; broken: Set<number> } {
  const issues: SpecIssue[] = [];
  const broken = new Set(schemaBroken);
  const firstIndex = new Map<string, number>();
  spec.layers.forEach((layer, i) => {
    if (typeof layer?.id !== 'string') return;
    const first = firstIndex.get(layer.id);
    if (first === undefined) firstIndex.set(layer.id, i);
    else if (!schemaBroken.has(i)) {
      issues.push({ path: ['layers', i, 'id'], message: `duplicate layer id '${layer.id}' (layers[${first}] has it already)` });
      broken.add(i);
    }
  });
  spec.layers.forEach((layer, i) => {
    if (schemaBroken.has(i)) return;
    layer.inputs?.forEach((source, k) => {
      if (source !== INPUT_ID && !firstIndex.has(source)) {
        issues.push({ path: ['layers', i, 'inputs', k], message: `layer '${layer.id}' reads '${source}', which is not a layer id`, fix: { kind: 'unknownId' } });
        broken.add(i);
      }
    });
  });
  if (typeof spec.output === 'string' && !firstIndex.has(spec.output)) {
    issues.push({ path: ['output'], message: `output '${spec.output}' is not a layer id`, fix: { kind: 'unknownId' } });
  }
  const cycle = findCycle(spec, firstIndex, broken);
  return { issues: cycle ? [...issues, cycle] : issues, broken };
}

/**
 * A cycle in the graph, reported at an explicit input that closes it (default inputs read an
 * earlier layer, so every cycle has an explicit one). Depth-first search with an explicit stack:
 * a spec may have thousands of layers.
 */
function findCycle(spec: ArchitectureSpec, indexOf: Map<string, number>, broken: ReadonlySet<number>): SpecIssue | undefined {
  // Broken layers read nothing here: what they read is unknown.
  const reads = spec.layers.map((_, i) => (broken.has(i) ? [] : layerInputs(spec, i).map((id) => indexOf.get(id) ?? -1)));
  const state = new Uint8Array(spec.layers.length); // 0 unvisited, 1 on the stack, 2 done
  for (let start = 0; start < spec.layers.length; start++) {
    if (state[start] !== 0) continue;
    const stack: [layer: number, nextInput: number][] = [[start, 0]];
    state[start] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [layer, k] = top;
      if (k === reads[layer].length) {
        state[layer] = 2;
        stack.pop();
        continue;
      }
      top[1]++;
      const source = reads[layer][k];
      if (source === -1 || state[source] === 2) continue;
      if (state[source] === 0) {
        state[source] = 1;
        stack.push([source, 0]);
        continue;
      }
      const loop = stack.slice(stack.findIndex(([l]) => l === source)).map(([l]) => l);
      return cycleIssue(spec, loop, indexOf);
    }
  }
  return undefined;
}

/** `loop` lists layers each reading the next (the last reads the first). */
function cycleIssue(spec: ArchitectureSpec, loop: number[], indexOf: Map<string, number>): SpecIssue {
  const ids = loop.map((i) => spec.layers[i].id);
  const flow = [...ids].reverse();
  const message = `the layers form a cycle: ${[...flow, flow[0]].join(' -> ')}`;
  for (let n = 0; n < loop.length; n++) {
    const inputs = spec.layers[loop[n]].inputs;
    const reads = loop[(n + 1) % loop.length];
    const k = inputs?.findIndex((id) => indexOf.get(id) === reads) ?? -1;
    if (k !== -1) return { path: ['layers', loop[n], 'inputs', k], message };
  }
  return { path: ['layers', loop[0]], message };
}
