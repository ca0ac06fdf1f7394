// Messages between the language server and its search workers (engine/server/search-worker).
// The job travels as workerData; a worker runs one job and exits.
import { BackendInfo } from '../backend';
import { CandidateEvent } from '../run/journal';
import { CompressOptions, CompressResult } from '../search/compress';
import { SearchProgress } from '../search/search';
import type { SpeedParams, SpeedResult } from '../../protocol';

export type SearchJob =
  /** Load the backend a search would use and report it (the engine's start-up check). */
  | { kind: 'probe'; backend: BackendInfo['name'] | 'auto' }
  /** Run `compress` with these options. */
  | { kind: 'compress'; options: CompressOptions }
  /** Time a short epoch of the teacher (run setup's estimates). */
  | { kind: 'speed'; params: SpeedParams };

/** Server -> worker: stop the search; it answers `done` with `cancelled: true` once the run is consistent. */
export type ToSearchWorker = { type: 'cancel' };

export type FromSearchWorker =
  /** Worker -> server: the run directory exists (sent before any progress). */
  | { type: 'run-directory'; dir: string }
  | { type: 'progress'; progress: SearchProgress }
  | { type: 'candidate'; event: CandidateEvent }
  | { type: 'log'; message: string }
  /** Worker -> server: the probe's answer. */
  | { type: 'backend'; info: BackendInfo }
  /** Worker -> server: the speed measurement's answer. */
  | { type: 'speed'; result: SpeedResult }
  | { type: 'done'; result: CompressResult }
  /** Worker -> server: the job failed; `user` when the message is for the user (a UserError). */
  | { type: 'failed'; message: string; user: boolean };
