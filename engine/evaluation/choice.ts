// Which evaluator a run uses, and why: `auto` is the PyTorch pool when a Python with torch >= 1.13
// is found, else the local tfjs workers; the other kinds are taken as asked (pytorch fails with
// the reason when no usable Python is found).
import { availableParallelism } from 'node:os';
import { UserError } from '../util/errors';
import { findPython, TorchInfo } from './pytorch/python';
import { EvaluatorSettings } from './settings';

export type EvaluatorUsed = 'pytorch' | 'local' | 'command' | 'slurm';

export interface EvaluatorChoice {
  used: EvaluatorUsed;
  /** One line for the log and run.json: why this one, and why not the other. */
  why: string;
  /** pytorch: the interpreter and what its torch offers. */
  torch?: TorchInfo;
}

export async function chooseEvaluator(settings: EvaluatorSettings, env: NodeJS.ProcessEnv = process.env): Promise<EvaluatorChoice> {
  if (settings.kind !== 'auto' && settings.kind !== 'pytorch') return { used: settings.kind, why: `asked for (--evaluator ${settings.kind})` };
  const found = await findPython({ ...(settings.python ? { explicit: settings.python } : {}), env });
  if (found.ok) {
    const { python, torch, gpus } = found.info;
    const where = gpus > 0 ? `${gpus} CUDA GPU${gpus > 1 ? 's' : ''}` : 'CPU';
    const asked = settings.kind === 'auto' ? 'auto: ' : '';
    return { used: 'pytorch', why: `${asked}${python} has torch ${torch} (${where})${settings.kind === 'auto' ? '; the tfjs workers are not needed' : ''}`, torch: found.info };
  }
  if (settings.kind === 'pytorch') throw new UserError(`--evaluator pytorch needs a Python with torch >= 1.13: ${found.reason}`);
  return { used: 'local', why: `auto: the tfjs workers, since no Python with torch >= 1.13 was found (${found.reason}); pass --python PATH or set ESNAC_PYTHON for the PyTorch trainer` };
}

export interface PoolLayout {
  workers: number;
  threads: number;
  gpus: number;
}

/**
 * One worker per GPU; on CPU one single-threaded worker per core up to 4 cores, beyond that
 * workers of 4 threads each (fewer copies of teacher and optimiser state). Why single-threaded
 * on small machines: torch's second intra-op thread gave 1.4-1.55x on this 2-core machine
 * (resnet-mini 28x28: 808-900 -> 1,252 img/s, issue 16), where independent processes scale as
 * the tfjs workers do (1.8-1.9x); a quiet-machine A/B of 2x1 against 1x2 is still to be run
 * (bench/results/train-throughput.json has 2 workers x 1 thread only). `workers` > 0 overrides.
 */
export function poolLayout(torch: TorchInfo, workers: number, cpus = Math.min(torch.cpus, availableParallelism())): PoolLayout {
  if (torch.gpus > 0) {
    const count = workers > 0 ? workers : torch.gpus;
    return { workers: count, threads: Math.max(1, Math.floor(cpus / count)), gpus: torch.gpus };
  }
  const count = workers > 0 ? workers : cpus <= 4 ? cpus : Math.ceil(cpus / 4);
  return { workers: count, threads: Math.max(1, Math.floor(cpus / count)), gpus: 0 };
}
