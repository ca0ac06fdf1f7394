/**
 * A problem the user can fix (a bad file, a missing dataset, a wrong flag). The CLI prints its
 * message alone, without a stack trace, and exits 1; the language server shows it as is.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
}

/** What went wrong, in a line or so: an Error's message, else whatever was thrown as text. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Everything known about what was thrown, for logs: an Error's stack (which starts with its message). */
export function errorDetail(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

/** A system error reported by another thread or process, rebuilt with the fields isSystemError reads. */
export function systemError(message: string, code: string, syscall: string, path?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code, syscall, ...(path !== undefined && { path }) });
}

/**
 * An error of the machine, not of esnac or of the input: a full disk, a read-only folder, a file
 * system gone (Node's errors with a code and the system call that failed). Its message names the file.
 */
export function isSystemError(err: unknown): err is NodeJS.ErrnoException & { code: string; syscall: string } {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string' && typeof (err as NodeJS.ErrnoException).code === 'string';
}
