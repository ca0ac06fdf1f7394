// The search's evaluator on a PyTorch pool: each candidate starts from the weights the engine
// cuts from the teacher (engine/evaluation/inputs.ts InitialWeights, exactly the local
// evaluator's), written to a scratch folder for its worker; the worker distils it and writes
// its best epoch's weights in the run's format. The same pool trains on labels: the teacher
// when no weights were given, and the fine-tuning of the top candidates.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrainingSettings } from '../../../protocol';
import { ArchitectureSpec } from '../../architecture/types';
import { encodeModel, writeScratchModel } from '../../model/io';
import { disposeWeights, initialWeights } from '../../model/weights';
import { systemError } from '../../util/errors';
import { Rng } from '../../util/rng';
import { InitialWeights } from '../inputs';
import { CandidateTraining, candidateSeed } from '../local/candidate';
import { EvaluationRequest, EvaluationResult, Evaluator } from '../types';
import { CheckpointNote, EpochReport, TrainResult } from './protocol';
import { PytorchPool } from './pool';

export interface PytorchEvaluatorSetup {
  /** The teacher's trained weights folder (absolute). */
  teacherWeights: string;
  training: CandidateTraining;
}

/** Training on labels (cross-entropy), the run's optimiser settings. */
export interface LabelFit extends TrainingSettings {
  spec: ArchitectureSpec;
  /** Weights folder to start from; absent: a fresh initialisation from `seed`, as engine/train/supervised does. */
  initial?: string;
  out: string;
  seed: number;
  record?: Record<string, unknown>;
  /** Where the state after each epoch is kept (the trainer's own format). */
  checkpoint?: string;
}

export class PytorchEvaluator implements Evaluator {
  private readonly scratch = mkdtempSync(join(tmpdir(), 'esnac-pytorch-'));
  private initial: InitialWeights | undefined;
  private setup: PytorchEvaluatorSetup | undefined;
  private nextScratch = 1;

  constructor(readonly pool: PytorchPool) {}

  get concurrency(): number {
    return this.pool.concurrency;
  }

  /** Candidates need the teacher's weights: known once the teacher is trained or measured. */
  useTeacher(setup: PytorchEvaluatorSetup): void {
    this.initial?.dispose();
    this.setup = setup;
    this.initial = new InitialWeights(setup.teacherWeights, setup.training.inherit, setup.training.seed);
  }

  async evaluate(request: EvaluationRequest, signal?: AbortSignal, onEpoch?: (report: EpochReport) => void): Promise<EvaluationResult> {
    if (!this.setup || !this.initial) throw new Error('the PyTorch evaluator has no teacher yet');
    const started = performance.now();
    const handedOver = wallMs();
    const { training, teacherWeights } = this.setup;
    const initial = this.scratchFolder();
    try {
      await this.initial.write(request.spec, initial, { scratch: true });
      const result = await this.pool.train(
        {
          spec: request.spec,
          initial,
          ...(request.outDir ? { out: request.outDir } : {}),
          teacher: teacherWeights,
          objective: 'distill',
          distillation: training.distillation,
          epochs: training.epochs,
          batchSize: training.batchSize,
          learningRate: training.learningRate,
          weightDecay: training.weightDecay,
          seed: candidateSeed(training.seed, request.name),
        },
        signal,
        onEpoch,
      );
      const evaluated = evaluationResult(result, (performance.now() - started) / 1000);
      if (evaluated.status !== 'ok' || result.status !== 'ok') return evaluated;
      const { trainingStarted, trainingEnded } = result.phases;
      return { ...evaluated, outside: { before: (trainingStarted - handedOver) / 1000, after: (wallMs() - trainingEnded) / 1000 } };
    } finally {
      rmSync(initial, { recursive: true, force: true });
    }
  }

  /** Trains on labels; a stop before the end rejects (with `job.checkpoint`, the next fit goes on from the last epoch kept there). */
  async fit(job: LabelFit, signal?: AbortSignal, onEpoch?: (report: EpochReport) => void, onCheckpoint?: (note: CheckpointNote) => void): Promise<EvaluationResult> {
    const started = performance.now();
    let initial = job.initial;
    let fresh: string | undefined;
    try {
      if (!initial) {
        fresh = initial = this.scratchFolder();
        const weights = initialWeights(job.spec, new Rng(job.seed));
        try {
          writeScratchModel(fresh, await encodeModel(job.spec, weights));
        } finally {
          disposeWeights(weights);
        }
      }
      const { initial: _initial, ...rest } = job;
      const result = await this.pool.train({ ...rest, initial, objective: 'cross-entropy', distillation: { kind: 'mse' } }, signal, onEpoch, onCheckpoint);
      return evaluationResult(result, (performance.now() - started) / 1000);
    } finally {
      if (fresh) rmSync(fresh, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
    this.initial?.dispose();
    rmSync(this.scratch, { recursive: true, force: true });
  }

  private scratchFolder(): string {
    const dir = join(this.scratch, String(this.nextScratch++));
    mkdirSync(dir, { recursive: true });
    return dir;
  }
}

/** The wall clock in milliseconds since the epoch, as the workers read it (time.time()). */
function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

function evaluationResult(result: TrainResult, seconds: number): EvaluationResult {
  if (result.status === 'ok') return { status: 'ok', accuracy: result.accuracy, params: result.params, seconds, backend: result.backend };
  if (result.status === 'failed' && result.system) {
    // Rejecting stops the run as the local workers' system errors do; the candidate is not journalled.
    const { code, syscall, path } = result.system;
    throw systemError(`${code}: ${result.reason}`, code, syscall, path);
  }
  if (result.status === 'failed') return { status: 'failed', reason: result.reason, seconds };
  throw new DOMException('The training was cancelled', 'AbortError');
}
