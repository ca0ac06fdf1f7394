// What the CLI prints: text that may hold names and values from the files it read, made safe
// for a terminal (engine/util/text terminalText). Every command prints through these.
import { terminalText } from '../util/text';

/** Writes `text` (its own line breaks included) to stdout. */
export function print(text: string): void {
  process.stdout.write(terminalText(text));
}

/** Writes `text` (its own line breaks included) to stderr. */
export function printError(text: string): void {
  process.stderr.write(terminalText(text));
}
