// The extensionTestsPath entry (the contract of @vscode/test-electron's runTests): the host
// requires the bundled file and awaits run(); a rejection makes it exit non-zero.
import { runHostTests } from './runner';
import { hostTests } from './suite';

export function run(): Promise<void> {
  return runHostTests(hostTests());
}
