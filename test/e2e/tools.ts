// What the e2e stage runs on: Debian's chromium, and code-server (VS Code OSS served over HTTP,
// with a real Node extension host) plus playwright-core from the npm registry, installed into a
// cache folder outside the repository so `npm ci` never sees them. Downloads from GitHub or
// Microsoft are unreachable on CI; docs/vscode-e2e.md says why each step is needed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The newest code-server whose engines.node is 20 (it bundles VS Code 1.100.3). */
export const CODE_SERVER_VERSION = '4.100.3';
const PLAYWRIGHT_CORE_VERSION = '1.65.1';
/** What code-server 4.100.3's npm-shrinkwrap pins: @vscode/ripgrep and the rg release it downloads. */
const RIPGREP_PACKAGE_VERSION = '1.15.11';
const RIPGREP_RELEASE = 'v13.0.0-10';

const APT_PACKAGES = ['chromium', 'fonts-liberation', 'libkrb5-dev', 'ripgrep', 'make', 'g++', 'python3'];
export const CHROMIUM = '/usr/bin/chromium';

export interface Tools {
  /** code-server's entry script, run with this Node. */
  codeServer: string;
  /** The playwright-core package folder, for createRequire. */
  playwrightCore: string;
  chromium: string;
  cacheDir: string;
}

export type ToolsOrSkip = { tools: Tools } | { skip: string };

export function cacheDir(): string {
  return process.env.ESNAC_E2E_CACHE ?? join(homedir(), '.cache', 'esnac-e2e');
}

/**
 * Installs what is missing and returns where it is, or why this machine cannot run the stage.
 * A failed install (network, build) throws: that is a broken CI, not a machine to skip.
 */
export function ensureTools(log: (line: string) => void): ToolsOrSkip {
  const cache = cacheDir();
  const nodeMajor = process.versions.node.split('.')[0];
  if (nodeMajor !== '20') return { skip: `code-server ${CODE_SERVER_VERSION} runs only on Node 20 (this is Node ${process.versions.node})` };
  const missing = APT_PACKAGES.filter((p) => !debianPackageInstalled(p));
  if (missing.length > 0) {
    const cannot = whyNoApt();
    if (cannot) return { skip: `the e2e stage needs the Debian packages ${missing.join(', ')} and ${cannot}` };
    log(`apt-get install ${missing.join(' ')}`);
    run('apt-get', ['update', '-qq'], { env: process.env });
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  const prefix = join(cache, `code-server-${CODE_SERVER_VERSION}`);
  const marker = join(prefix, `.installed-playwright-${PLAYWRIGHT_CORE_VERSION}`);
  if (!existsSync(marker)) installNpmTools(prefix, log);
  writeFileSync(marker, '');
  return {
    tools: {
      codeServer: join(prefix, 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
      playwrightCore: join(prefix, 'node_modules', 'playwright-core'),
      chromium: CHROMIUM,
      cacheDir: cache,
    },
  };
}

function installNpmTools(prefix: string, log: (line: string) => void): void {
  log(`npm install code-server@${CODE_SERVER_VERSION} playwright-core@${PLAYWRIGHT_CORE_VERSION} into ${prefix} (builds native modules: minutes)`);
  mkdirSync(prefix, { recursive: true });
  writeFileSync(join(prefix, 'package.json'), '{ "private": true }\n');
  const tmp = mkdtempSync(join(prefix, 'tmp-'));
  try {
    seedRipgrepCache(tmp);
    run('npm', ['install', '--no-save', '--no-package-lock', `code-server@${CODE_SERVER_VERSION}`, `playwright-core@${PLAYWRIGHT_CORE_VERSION}`], {
      cwd: prefix,
      env: {
        ...process.env,
        TMPDIR: tmp,
        // code-server's postinstall refuses root without unsafe_perm; node-pty's runs `npx node-gyp`,
        // which `yes=false` in a user's npmrc would cancel; node-gyp must take Debian's Node headers
        // instead of downloading them.
        npm_config_unsafe_perm: 'true',
        npm_config_yes: 'true',
        npm_config_nodedir: '/usr',
        npm_config_audit: 'false',
        npm_config_fund: 'false',
        npm_config_update_notifier: 'false',
        PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1',
      },
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * @vscode/ripgrep's postinstall downloads rg from GitHub unless its cache in $TMPDIR holds the
 * release archive: put Debian's rg there under that name.
 */
function seedRipgrepCache(tmp: string): void {
  const archDir = join(tmp, 'rg-bin');
  const cache = join(tmp, `vscode-ripgrep-cache-${RIPGREP_PACKAGE_VERSION}`);
  mkdirSync(archDir, { recursive: true });
  mkdirSync(cache, { recursive: true });
  run('cp', ['/usr/bin/rg', join(archDir, 'rg')], {});
  const target = process.arch === 'arm64' ? 'aarch64-unknown-linux-gnu' : 'x86_64-unknown-linux-musl';
  run('tar', ['czf', join(cache, `ripgrep-${RIPGREP_RELEASE}-${target}.tar.gz`), '-C', archDir, 'rg'], {});
}

function debianPackageInstalled(name: string): boolean {
  const status = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
  return status.status === 0 && status.stdout.trim() === 'install ok installed';
}

/** Why apt-get cannot install here, or undefined when it can. */
function whyNoApt(): string | undefined {
  if (spawnSync('apt-get', ['--version']).status !== 0) return 'this machine has no apt-get';
  if (process.getuid?.() !== 0) return 'installing them needs root (CI runs as root; or install them yourself)';
  return undefined;
}

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv }): void {
  const result = spawnSync(command, args, { ...options, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.status === 0) return;
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.split('\n').slice(-40).join('\n');
  throw new Error(`${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}):\n${output}`);
}
