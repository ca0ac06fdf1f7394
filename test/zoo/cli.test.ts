import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { register, zooListing } from '../../engine/cli/zoo';
import { loadSpecFile } from '../../engine/architecture/validate';
import { UserError } from '../../engine/util/errors';
import { ZOO_NAMES, ZooDataset, ZooName, zooTeacher } from '../../engine/zoo/index';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples', 'teachers');

/** Runs `esnac zoo ...` in this process on a fresh program, as main.ts wires it. */
async function zoo(...args: string[]): Promise<void> {
  const program = new Command('esnac').exitOverride();
  register(program);
  await program.parseAsync(['zoo', ...args], { from: 'user' });
}

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'esnac-zoo-'));
}

test('writes JSON for .json and YAML for .yaml / .yml, each the teacher itself', async () => {
  const dir = scratch();
  try {
    const expected = zooTeacher('resnet-mini', 'fashion-mnist');
    for (const file of ['t.json', 't.yaml', 'sub/t.yml']) {
      const path = join(dir, file);
      await zoo('resnet-mini', '--dataset', 'fashion-mnist', '-o', path);
      const text = readFileSync(path, 'utf8');
      if (file.endsWith('.json')) {
        assert.ok(text.startsWith('{'), 'JSON text');
        assert.deepEqual(JSON.parse(text), expected);
      } else {
        assert.ok(text.startsWith('format: esnac.architecture/v1'), 'YAML text');
        assert.deepEqual(parseYaml(text), expected);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('refuses to overwrite an existing file unless --force', async () => {
  const dir = scratch();
  try {
    const path = join(dir, 'teacher.arch.yaml');
    writeFileSync(path, 'mine\n');
    await assert.rejects(zoo('vgg-mini', '--dataset', 'mnist', '-o', path), (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.match(err.message, /already exists.*--force/);
      return true;
    });
    assert.equal(readFileSync(path, 'utf8'), 'mine\n');
    await assert.rejects(zoo('vgg-mini', '--dataset', 'mnist', '-o', join(path, 'inside.yaml')), (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.match(err.message, /cannot create the folder/);
      return true;
    });
    await zoo('vgg-mini', '--dataset', 'mnist', '-o', path, '--force');
    assert.deepEqual(parseYaml(readFileSync(path, 'utf8')), zooTeacher('vgg-mini', 'mnist'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing name or dataset, a teacher that cannot fit or an unknown extension is a UserError', async () => {
  await assert.rejects(zoo('--dataset', 'mnist'), (err: unknown) => err instanceof UserError && /--list/.test(err.message));
  await assert.rejects(zoo('resnet18'), (err: unknown) => err instanceof UserError && /--dataset/.test(err.message));
  await assert.rejects(zoo('vgg19', '--dataset', 'mnist', '-o', join(tmpdir(), 'never-written.json')), UserError);
  await assert.rejects(zoo('vgg-mini', '--dataset', 'mnist', '-o', join(tmpdir(), 'never-written.txt')), (err: unknown) => err instanceof UserError && /\.json, \.yaml or \.yml/.test(err.message));
});

test('the listing has a line per teacher with its parameters per dataset', () => {
  const lines = zooListing().trimEnd().split('\n');
  assert.equal(lines.length, 1 + ZOO_NAMES.length);
  assert.match(lines[0], /^teacher\s+cifar10\s+cifar100\s+mnist\s+fashion-mnist\s+description$/);
  for (const name of ZOO_NAMES) assert.ok(lines.some((l) => l.startsWith(`${name} `)), name);
  assert.match(lines.find((l) => l.startsWith('vgg19 '))!, /^vgg19\s+20\.0M\s+20\.1M\s+-\s+-\s+VGG-19/);
  assert.match(lines.find((l) => l.startsWith('shufflenet-1x-g2 '))!, /988K\s+1\.06M\s+988K\s+988K/);
});

// The examples are the CLI's output; after changing the zoo, rewrite them with
// `node bin/esnac.js zoo NAME --dataset DATASET -o examples/teachers/FILE --force`.
const example = (name: ZooName, dataset: ZooDataset, ext: 'yaml' | 'json') => ({ name, dataset, file: `${name}-${dataset}.arch.${ext}` });
const EXAMPLE_FILES = [
  ...(['vgg19', 'resnet18', 'resnet34', 'shufflenet-1x-g2'] as const).flatMap((n) => (['cifar10', 'cifar100'] as const).map((d) => example(n, d, 'yaml'))),
  ...(['resnet-mini', 'vgg-mini'] as const).flatMap((n) => (['mnist', 'fashion-mnist'] as const).map((d) => example(n, d, 'yaml'))),
  example('vgg-mini', 'mnist', 'json'),
];

test('examples/teachers holds exactly the shipped examples', () => {
  assert.deepEqual(readdirSync(EXAMPLES).sort(), EXAMPLE_FILES.map((e) => e.file).sort());
});

test('the shipped examples are what the CLI writes today', async () => {
  const dir = scratch();
  try {
    for (const { name, dataset, file } of EXAMPLE_FILES) {
      await zoo(name, '--dataset', dataset, '-o', join(dir, file));
      assert.equal(readFileSync(join(EXAMPLES, file), 'utf8'), readFileSync(join(dir, file), 'utf8'), `examples/teachers/${file} is stale`);
      assert.deepEqual(await loadSpecFile(join(EXAMPLES, file)), zooTeacher(name, dataset), file);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
