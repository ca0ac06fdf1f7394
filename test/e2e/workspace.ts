// The workspace the e2e stage opens in VS Code: an example teacher, a spec with one shape error
// (the in-host suite fixes it), and a file that is no spec. Shared by the harness, which writes
// it, and the in-host suite, which knows what to expect in it.
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const EXTENSION_ID = 'esnac.esnac';
export const TEACHER_SPEC = 'vgg-mini-mnist.arch.yaml';
/** A zoo teacher big enough for its graph's blocks to matter (108 layers). */
export const ZOO_SPEC = 'resnet34-cifar10.arch.yaml';
export const BROKEN_SPEC = 'broken.arch.yaml';
export const OTHER_FILE = 'notes.txt';
/** The default of the esnac.runs.folder setting. */
export const RUNS_FOLDER = 'esnac-runs';

const SOUND_LINE = '    in: 8 # conv2';
const BROKEN_LINE = '    in: 3 # conv2';

export const FIXED_TEXT = `format: esnac.architecture/v1
name: e2e-small
input: {channels: 1, height: 28, width: 28}
classes: 10
layers:
  - id: conv1
    type: conv
    in: 1
    out: 8
    kernel: 3
    padding: 1
  - id: relu1
    type: relu
  - id: conv2
    type: conv
${SOUND_LINE}
    out: 8
    kernel: 3
    padding: 1
  - id: pool
    type: maxpool
    kernel: 2
  - id: flatten
    type: flatten
  - id: fc
    type: linear
    in: 1568
    out: 10
`;

/** conv2 expects 3 channels where conv1 gives 8. */
export const BROKEN_TEXT = FIXED_TEXT.replace(SOUND_LINE, BROKEN_LINE);
export const BROKEN_LINE_INDEX = BROKEN_TEXT.split('\n').indexOf(BROKEN_LINE);

/** Fills an empty folder with the e2e workspace; `repoRoot` is where the examples are. */
export function writeWorkspace(folder: string, repoRoot: string): void {
  for (const spec of [TEACHER_SPEC, ZOO_SPEC]) copyFileSync(join(repoRoot, 'examples', 'teachers', spec), join(folder, spec));
  writeFileSync(join(folder, BROKEN_SPEC), BROKEN_TEXT);
  writeFileSync(join(folder, OTHER_FILE), 'Not an architecture: the explorer offers no esnac commands here.\n');
}
