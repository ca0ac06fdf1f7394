// code-server as the e2e stage runs it: its own process group (the extension hosts, the esnac
// engine and file watchers it spawns live for hours after a browser leaves), state kept in the
// stage's scratch folder, stopped by killing the whole group.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../support/net';

export interface CodeServerDirs {
  userData: string;
  extensions: string;
  /** HOME, TMPDIR and XDG folders for everything the server starts. */
  home: string;
}

export interface RunningCodeServer {
  url: string;
  /** The process group of the server and all it started. */
  pgid: number;
  /** Ends the server's whole process group; safe to call twice. */
  stop(): Promise<void>;
}

const SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'git.enabled': false,
  'security.workspace.trust.enabled': false,
  // VS Code in a browser saves a second after each edit by default. An explicit save that comes
  // while such a save runs its participants (the extension host's onWillSave, up to 1.75 s when
  // the host is busy) returns false at once ("refusing to save() recursively from save
  // participant"), the document still dirty: the suite saves when its tests say, as on a desktop.
  'files.autoSave': 'off',
};

export function prepareDirs(root: string): CodeServerDirs {
  const dirs = { userData: join(root, 'user-data'), extensions: join(root, 'extensions'), home: join(root, 'home') };
  mkdirSync(join(dirs.userData, 'User'), { recursive: true });
  mkdirSync(dirs.extensions, { recursive: true });
  mkdirSync(join(dirs.home, 'tmp'), { recursive: true });
  writeFileSync(join(dirs.userData, 'User', 'settings.json'), JSON.stringify(SETTINGS, null, 2));
  return dirs;
}

/** The environment of code-server and all it starts, kept out of the user's HOME and /tmp. */
export function isolatedEnv(dirs: CodeServerDirs, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { home } = dirs;
  return {
    ...process.env,
    HOME: home,
    TMPDIR: join(home, 'tmp'),
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_DATA_HOME: join(home, 'data'),
    XDG_CACHE_HOME: join(home, 'cache'),
    ...extra,
  };
}

export function installExtension(entry: string, dirs: CodeServerDirs, vsix: string): void {
  const args = [entry, '--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions, '--install-extension', vsix];
  const result = spawnSync(process.execPath, args, { env: isolatedEnv(dirs), encoding: 'utf8', timeout: 120_000 });
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0 || !/successfully installed/i.test(output)) throw new Error(`code-server --install-extension ${vsix} failed:\n${output}`);
}

/** Starts code-server on a free local port with `workspace` open; resolves once it answers /healthz. */
export async function startCodeServer(entry: string, dirs: CodeServerDirs, workspace: string, logFile: string, env: NodeJS.ProcessEnv): Promise<RunningCodeServer> {
  const port = await freePort();
  const args = [
    entry,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir', dirs.userData,
    '--extensions-dir', dirs.extensions,
    workspace,
  ];
  const log = openSync(logFile, 'a');
  // detached: the server leads a new session and process group (setsid), which stop() kills.
  const child = spawn(process.execPath, args, { env, detached: true, stdio: ['ignore', log, log] });
  const stop = groupStopper(child);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url, child, 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, pgid: child.pid!, stop };
}

function groupStopper(child: ChildProcess): () => Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  // Should this process end before stop() (a hung step, Ctrl-C), the detached group would live on.
  const killNow = () => signalGroup(child.pid!, 'SIGKILL');
  const killAndExit = (signal: NodeJS.Signals) => {
    killNow();
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  };
  process.once('exit', killNow);
  process.once('SIGINT', killAndExit);
  process.once('SIGTERM', killAndExit);
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      process.off('exit', killNow);
      process.off('SIGINT', killAndExit);
      process.off('SIGTERM', killAndExit);
      signalGroup(child.pid!, 'SIGTERM');
      await Promise.race([exited, sleep(3000)]);
      // The group outlives its leader: extension hosts and engines may still be running.
      await sleep(500);
      signalGroup(child.pid!, 'SIGKILL');
      await exited;
      // Killed members linger until their new parent reaps them.
      for (let i = 0; i < 50 && groupAlive(child.pid!); i++) await sleep(100);
    })();
    return stopping;
  };
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Whether any process of the group is still alive. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode} before answering (see its log)`);
    const healthy = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (healthy) return;
    await sleep(200);
  }
  throw new Error(`code-server did not answer ${url}/healthz within ${timeoutMs / 1000} s`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
