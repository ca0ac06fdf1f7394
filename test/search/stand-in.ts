// A deterministic ANALYTIC STAND-IN for training, for testing the search loop without tfjs
// training: accuracy falls with compression and with removed layers, as a real network's would.
import { EvaluationRequest, EvaluationResult, Evaluator } from '../../engine/evaluation/types';
import { inferShapes } from '../../engine/spec/shapes';

export class AnalyticStandInEvaluator implements Evaluator {
  readonly concurrency = 2;
  calls = 0;

  constructor(
    private readonly teacherParams: number,
    private readonly failNames: ReadonlySet<string> = new Set(),
  ) {}

  async evaluate(request: EvaluationRequest, signal?: AbortSignal): Promise<EvaluationResult> {
    this.calls++;
    await new Promise((resolve) => setImmediate(resolve));
    signal?.throwIfAborted();
    if (this.failNames.has(request.name)) return { status: 'failed', reason: 'stand-in failure', seconds: 0.01 };
    const params = inferShapes(request.spec).params;
    const kept = params / this.teacherParams;
    const identities = request.spec.layers.filter((l) => l.type === 'identity').length;
    const accuracy = Math.max(0.1, 0.98 - 0.25 * (1 - kept) ** 3 - 0.004 * identities);
    return { status: 'ok', accuracy, params, seconds: 0.01, backend: 'analytic stand-in' };
  }

  async close(): Promise<void> {}
}
