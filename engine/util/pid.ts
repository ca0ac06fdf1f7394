// Whether a process of this machine still runs, for files that name the process writing them
// (the run lock, temporaries of atomic writes).

/** True while process `pid` exists (EPERM: it exists but belongs to another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
