// A real single-node Slurm for the tests: munged, slurmctld and slurmd (Debian's packages) run
// as root in the foreground on free ports, with every state, spool, log and socket file in a
// temporary folder; SLURM_CONF points this process (and the evaluator's sbatch/squeue) at it.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/net';

const PROGRAMS = ['/usr/sbin/munged', '/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/bin/sbatch', '/usr/bin/squeue', '/usr/bin/scancel', '/usr/bin/sinfo'];
const READY_MS = 60_000;

export interface Cluster {
  dir: string;
  /** Jobs still pending or running. */
  queued(): string[];
  stop(): Promise<void>;
}

/** Starts the cluster, or says why it cannot (the tests then skip with that message). */
export async function startCluster(): Promise<Cluster | string> {
  if (process.getuid?.() !== 0) return 'the Slurm tests start slurmctld, slurmd and munged, which needs root';
  const missing = PROGRAMS.filter((p) => !existsSync(p));
  if (missing.length > 0) return `missing ${missing.join(', ')} (apt-get install slurmctld slurmd munge slurm-client)`;
  const dir = mkdtempSync(join(tmpdir(), 'esnac-slurm-'));
  // munged wants everyone able to reach its socket: the folders on the way are 0755.
  chmodSync(dir, 0o755);
  for (const sub of ['state', 'spool', 'log']) mkdirSync(join(dir, sub), { mode: 0o700 });
  mkdirSync(join(dir, 'munge'), { mode: 0o755 });
  const key = join(dir, 'munge', 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o600 });
  const socket = join(dir, 'munge', 'munge.socket.2');
  const [ctldPort, dPort] = await Promise.all([freePort(), freePort()]);
  const conf = join(dir, 'slurm.conf');
  writeFileSync(conf, slurmConf(dir, socket, ctldPort, dPort));
  const previous = process.env.SLURM_CONF;
  process.env.SLURM_CONF = conf;
  const daemons: ChildProcess[] = [];
  const daemon = (program: string, args: string[]) => {
    const child = spawn(program, args, { stdio: 'ignore', env: process.env });
    daemons.push(child);
    return child;
  };
  const stop = async () => {
    for (const child of daemons.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    if (previous === undefined) delete process.env.SLURM_CONF;
    else process.env.SLURM_CONF = previous;
  };
  daemon('/usr/sbin/munged', ['-F', `--key-file=${key}`, `--socket=${socket}`, `--pid-file=${join(dir, 'munge', 'munged.pid')}`, `--seed-file=${join(dir, 'munge', 'seed')}`, `--log-file=${join(dir, 'log', 'munged.log')}`]);
  if (!(await until(() => existsSync(socket), 10_000))) {
    await stop();
    return `munged did not start (${logTail(join(dir, 'log', 'munged.log'))})`;
  }
  daemon('/usr/sbin/slurmctld', ['-D', '-f', conf]);
  daemon('/usr/sbin/slurmd', ['-D', '-f', conf, '-N', 'localhost']);
  if (!(await until(() => sinfo() === 'idle', READY_MS))) {
    await stop();
    return `the node did not become idle within ${READY_MS / 1000} s: slurmctld: ${logTail(join(dir, 'log', 'slurmctld.log'))}; slurmd: ${logTail(join(dir, 'log', 'slurmd.log'))}`;
  }
  return {
    dir,
    queued: () => squeueLines(),
    stop,
  };
}

function slurmConf(dir: string, socket: string, ctldPort: number, dPort: number): string {
  return `ClusterName=esnactest
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${ctldPort}
SlurmdPort=${dPort}
AuthType=auth/munge
AuthInfo=socket=${socket}
StateSaveLocation=${join(dir, 'state')}
SlurmdSpoolDir=${join(dir, 'spool')}
SlurmctldPidFile=${join(dir, 'slurmctld.pid')}
SlurmdPidFile=${join(dir, 'slurmd.pid')}
SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}
SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
NodeName=localhost CPUs=${availableParallelism()} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
`;
}

function sinfo(): string {
  try {
    return execFileSync('sinfo', ['--noheader', '--nodes=localhost', '--format=%t'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function squeueLines(): string[] {
  return execFileSync('squeue', ['--noheader', '--format=%i %T'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.trim() !== '');
}

async function until(ready: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (ready()) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-3).join(' | ');
  } catch {
    return 'no log';
  }
}

