// The part the command and Slurm evaluators share: each candidate gets a work folder with its
// spec (and, when the templates ask, its initial weights and the run's dataset files), a runner
// trains it (a process, a job), and its result.json gives A(x). Limits how many run at once,
// retries failed attempts, and turns every failure into a reason the journal keeps.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { SearchSettings } from '../run/settings';
import { inferShapes } from '../architecture/shapes';
import { ArchitectureSpec } from '../architecture/types';
import { LoadOptions } from '../data';
import { loadSpecFile } from '../architecture/validate';
import { specToText } from '../architecture/write';
import { exportDataset, InitialWeights } from './inputs';
import { abortReason, tail } from './process';
import { Placeholder, Values } from './template';
import { EvaluationRequest, EvaluationResult, Evaluator } from './types';
import { fileStem } from '../util/file-name';
import { errorMessage } from '../util/errors';

export const RESULT_FILE = 'result.json';

/** What every evaluator needs to know about the run. */
export interface RunSetup {
  runDir: string;
  /** The dataset name the run was given (mnist, cifar10:DIR...). */
  dataset: string;
  /** The run's load options (limits, seed, input size, recorded normalisation). */
  load: LoadOptions;
  settings: SearchSettings;
  /** The teacher's spec file and trained weights folder (absolute). */
  teacherSpec: string;
  teacherWeights: string;
}

/** One try at training a candidate. */
export interface Attempt {
  name: string;
  workDir: string;
  values: Values;
  stdoutFile: string;
  stderrFile: string;
  timeoutMs?: number;
  number: number;
}

export type AttemptEnd = { ok: true } | { ok: false; reason: string };

/** Trains one attempt somewhere: a local process, a cluster job. */
export interface Runner {
  /** The backend the journal names for its results. */
  readonly label: string;
  /** The placeholders its templates use: inputs nobody asks for are not prepared. */
  readonly uses: ReadonlySet<Placeholder>;
  /** Resolves how the attempt ended; rejects only on abort, once the attempt is stopped. */
  run(attempt: Attempt, signal: AbortSignal): Promise<AttemptEnd>;
}

export class ExternalEvaluator implements Evaluator {
  private readonly closing = new AbortController();
  private readonly active = new Set<Promise<unknown>>();
  private readonly waiting: Array<() => void> = [];
  private running = 0;
  private dataset: Promise<string> | undefined;
  private readonly initial: InitialWeights;

  constructor(
    private readonly runner: Runner,
    private readonly setup: RunSetup,
    readonly concurrency: number,
  ) {
    const { settings } = setup;
    this.initial = new InitialWeights(setup.teacherWeights, settings.inheritWeights, settings.seed);
  }

  evaluate(request: EvaluationRequest, signal?: AbortSignal): Promise<EvaluationResult> {
    const combined = signal ? AbortSignal.any([signal, this.closing.signal]) : this.closing.signal;
    const evaluation = this.withSlot(combined, () => this.evaluateNow(request, combined));
    const tracked = evaluation.catch(() => undefined);
    this.active.add(tracked);
    void tracked.then(() => this.active.delete(tracked));
    return evaluation;
  }

  /** Stops what is in flight (processes killed, jobs cancelled) and waits until it is. */
  async close(): Promise<void> {
    this.closing.abort(new Error('the evaluator was closed'));
    await Promise.all(this.active);
    this.initial.dispose();
  }

  private async withSlot<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          this.waiting.splice(this.waiting.indexOf(go), 1);
          reject(abortReason(signal));
        };
        const go = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        this.waiting.push(go);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    }
    signal.throwIfAborted();
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private async evaluateNow(request: EvaluationRequest, signal: AbortSignal): Promise<EvaluationResult> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    const workDir = workFolder(request);
    let values: Values;
    try {
      values = await this.prepare(request, workDir);
    } catch (err) {
      signal.throwIfAborted();
      return { status: 'failed', reason: `could not prepare the candidate's inputs: ${errorMessage(err)}`, seconds: seconds() };
    }
    const { timeoutMinutes, retries } = this.setup.settings.evaluator;
    const attempts = retries + 1;
    let reason = '';
    for (let number = 1; number <= attempts; number++) {
      signal.throwIfAborted();
      rmSync(join(workDir, RESULT_FILE), { force: true });
      const attempt: Attempt = {
        name: request.name,
        workDir,
        values: { ...values, attempt: String(number) },
        stdoutFile: join(workDir, 'stdout.log'),
        stderrFile: join(workDir, 'stderr.log'),
        ...(timeoutMinutes > 0 ? { timeoutMs: timeoutMinutes * 60_000 } : {}),
        number,
      };
      const end = await this.runner.run(attempt, signal);
      const outcome = end.ok ? readResult(join(workDir, RESULT_FILE), request.spec) : end;
      if (outcome.ok) {
        return { status: 'ok', accuracy: outcome.accuracy, params: outcome.params, seconds: seconds(), backend: outcome.backend ?? this.runner.label };
      }
      reason = end.ok ? withLog(outcome.reason, tail(attempt.stderrFile)) : outcome.reason;
    }
    return { status: 'failed', reason: attempts > 1 ? `failed ${attempts} attempts; the last: ${reason}` : reason, seconds: seconds() };
  }

  /** Writes what the templates ask for into the work folder; the placeholders' values. */
  private async prepare(request: EvaluationRequest, workDir: string): Promise<Values> {
    const { settings } = this.setup;
    const uses = this.runner.uses;
    mkdirSync(workDir, { recursive: true });
    const spec = join(workDir, `${fileStem(request.name)}.arch.yaml`);
    writeFileAtomic(spec, specToText(withTeacherPath(request.spec, relative(workDir, this.setup.teacherSpec)), 'yaml'));
    const values: Values = {
      name: request.name,
      spec,
      out: workDir,
      weights: request.outDir ?? join(workDir, 'weights'),
      teacher: this.setup.teacherSpec,
      teacherWeights: this.setup.teacherWeights,
      dataset: this.setup.dataset,
      epochs: String(settings.epochs),
      batchSize: String(settings.batchSize),
      learningRate: String(settings.learningRate),
      weightDecay: String(settings.weightDecay),
      distillation: settings.distillation,
      temperature: String(settings.temperature),
      seed: String(settings.seed),
      esnac: esnacScript(),
    };
    if (uses.has('data')) values.data = await this.datasetFiles();
    if (uses.has('init')) {
      values.init = join(workDir, 'init.weights');
      // The spec as read back from its file, so tools comparing the weights' spec with the file agree.
      await this.initial.write(await loadSpecFile(spec), values.init);
    }
    return values;
  }

  private datasetFiles(): Promise<string> {
    this.dataset ??= exportDataset(this.setup.dataset, this.setup.load, join(this.setup.runDir, 'dataset'));
    return this.dataset;
  }
}

/** candidates/<name>.eval next to the weights folder the search offers, or a temporary folder. */
function workFolder(request: EvaluationRequest): string {
  return request.outDir ? join(dirname(request.outDir), `${fileStem(request.name)}.eval`) : mkdtempSync(join(tmpdir(), `esnac-${fileStem(request.name)}-`));
}

function withTeacherPath(spec: ArchitectureSpec, teacherPath: string): ArchitectureSpec {
  return spec.candidate ? { ...spec, candidate: { ...spec.candidate, teacherPath } } : spec;
}

type ReadResult = { ok: true; accuracy: number; params: number; backend?: string } | { ok: false; reason: string };

/** The trainer's result.json: `accuracy` in [0, 1] required; `params`, `backend` optional. */
export function readResult(file: string, spec: ArchitectureSpec): ReadResult {
  if (!existsSync(file)) return { ok: false, reason: `it ended without writing ${file}` };
  let json: { accuracy?: unknown; params?: unknown; backend?: unknown };
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as typeof json;
  } catch (err) {
    return { ok: false, reason: `${file}: not valid JSON (${errorMessage(err)})` };
  }
  const { accuracy, params, backend } = json ?? {};
  if (typeof accuracy !== 'number' || !(accuracy >= 0 && accuracy <= 1)) {
    return { ok: false, reason: `${file}: "accuracy" must be a number from 0 to 1, got ${JSON.stringify(accuracy)}` };
  }
  return {
    ok: true,
    accuracy,
    params: typeof params === 'number' && Number.isInteger(params) && params >= 0 ? params : inferShapes(spec).params,
    ...(typeof backend === 'string' && backend !== '' ? { backend } : {}),
  };
}

/** bin/esnac.js of this installation, from the sources (engine/evaluation) or the bundle (dist). */
export function esnacScript(): string {
  const candidates = [join(__dirname, '..', 'bin', 'esnac.js'), join(__dirname, '..', '..', 'bin', 'esnac.js')];
  return candidates.find((c) => existsSync(c)) ?? 'esnac';
}

/** A reason with the tail of the log that explains it. */
export function withLog(reason: string, logTail: string): string {
  return logTail ? `${reason}; stderr: ${logTail}` : reason;
}
