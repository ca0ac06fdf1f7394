/**
 * A problem the user can fix (a bad file, a missing dataset, a wrong flag). The CLI prints its
 * message alone, without a stack trace, and exits 1; the language server shows it as is.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
}
