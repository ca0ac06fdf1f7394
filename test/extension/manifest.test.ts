// package.json's contributions agree with the code: commands, menus, activation, schema paths.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ContextKeys, ExtensionCommands } from '../../extension/commands/ids';
import { Commands, isSpecFileName } from '../../protocol';
import { ViewTypes } from '../../protocol/webview';

const ROOT = join(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  activationEvents: string[];
  contributes: {
    commands: { command: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    jsonValidation: { fileMatch: string; url: string }[];
    yamlValidation: { fileMatch: string[]; url: string }[];
    viewsContainers: { activitybar: { id: string; title: string; icon: string }[] };
    views: Record<string, { id: string; name: string }[]>;
    viewsWelcome: { view: string }[];
  };
};

test('the declared commands are the ones the extension registers, and menus name only those', () => {
  const declared = manifest.contributes.commands.map((c) => c.command).sort();
  const registered: string[] = [...Object.values(Commands), ...Object.values(ExtensionCommands)];
  assert.deepEqual(declared, registered.sort());
  for (const [menu, items] of Object.entries(manifest.contributes.menus)) {
    for (const item of items) assert.ok(declared.includes(item.command), `${menu}: ${item.command}`);
  }
});

test('spec menus match spec files only, as the engine does', () => {
  const when = manifest.contributes.menus['explorer/context'][0].when!;
  const pattern = new RegExp(/=~ \/(.*)\/$/.exec(when)![1]);
  for (const name of ['a.arch.json', 'b.arch.yaml', 'c.arch.yml', 'package.json', 'x.yaml', 'arch.json']) {
    assert.equal(pattern.test(name), isSpecFileName(name), name);
  }
});

test('Diff with teacher is on students only: every menu shows it by the context key the extension keeps', () => {
  const items = Object.values(manifest.contributes.menus).flatMap((items) => items.filter((i) => i.command === Commands.diffWithTeacher));
  assert.equal(items.length, 4);
  for (const item of items) assert.match(item.when ?? '', new RegExp(`^resourcePath in ${ContextKeys.studentSpecs.replace('.', '\\.')}( |$)`));
});

test('every webview panel type activates the extension (restoring panels after a reload)', () => {
  for (const viewType of Object.values(ViewTypes)) assert.ok(manifest.activationEvents.includes(`onWebviewPanel:${viewType}`), viewType);
});

test('schema validation points at the spec schema, for spec files only', () => {
  const { jsonValidation, yamlValidation } = manifest.contributes;
  for (const entry of [...jsonValidation, ...yamlValidation]) assert.ok(existsSync(join(ROOT, entry.url)), entry.url);
  assert.deepEqual(jsonValidation.map((v) => v.fileMatch), ['*.arch.json']);
  assert.deepEqual(yamlValidation.flatMap((v) => v.fileMatch), ['*.arch.yaml', '*.arch.yml']);
});

test("the Runs view is in esnac's own activity-bar container, whose icon is a packaged 24x24 SVG; menus and welcome content name contributed views", () => {
  const { viewsContainers, views, viewsWelcome, menus } = manifest.contributes;
  const [container] = viewsContainers.activitybar;
  assert.equal(container.id, 'esnac');
  assert.deepEqual(views[container.id].map((v) => v.id), ['esnac.runs']);
  assert.deepEqual(Object.keys(views), [container.id], 'no view elsewhere (the explorer)');
  const icon = readFileSync(join(ROOT, container.icon), 'utf8');
  assert.match(icon, /<svg [^>]*viewBox="0 0 24 24"/);
  const packaged = readFileSync(join(ROOT, '.vscodeignore'), 'utf8').split('\n');
  assert.ok(packaged.includes(`!${container.icon}`), `.vscodeignore keeps ${container.icon} in the package`);
  const contributed = new Set(Object.values(views).flatMap((list) => list.map((v) => v.id)));
  for (const { view } of viewsWelcome) assert.ok(contributed.has(view), view);
  for (const item of Object.values(menus).flat()) {
    for (const [, view] of (item.when ?? '').matchAll(/\bview == ([\w.]+)/g)) assert.ok(contributed.has(view), `${item.command}: ${view}`);
  }
});
