// The signals that ask esnac to stop: Ctrl-C (SIGINT), a service manager or `kill` (SIGTERM), a
// closed terminal or SSH session (SIGHUP). Each stops a command the way Ctrl-C does, so what it
// started (workers, trainers and their children, Slurm jobs) is stopped too.
import { constants } from 'node:os';

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** The shell's exit status for a process ended by `signal`: 128 + its number. */
export function signalExitCode(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

/** Calls `onSignal` for each stop signal until the returned function is called. */
export function onStopSignals(onSignal: (signal: StopSignal) => void): () => void {
  const handlers = STOP_SIGNALS.map((signal) => [signal, () => onSignal(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}
