import { execFileSync } from 'node:child_process';
import { connect as netConnect } from 'node:net';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { randomSuffix } from './postgres';

export const testNatsUrl = (): string => process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';

export interface TestNatsNames {
  readonly streamName: string;
  readonly deadLetterStreamName: string;
  /** Subject prefix instead of `bosun` (events on `<prefix>.>`, dead letters on `<prefix>-dlq.>`). */
  readonly subjectPrefix: string;
}

/**
 * Stream names and a subject prefix of one's own, `T_<AREA>_<created base36>_<random>`, so
 * tests never see each other's messages and leftovers can be recognised by age.
 */
export const testNatsNames = (area: string): TestNatsNames => {
  if (!/^[a-z][a-z0-9]{0,15}$/.test(area)) throw new Error(`test area "${area}": use 1-16 lower-case letters/digits`);
  const id = `${area}_${Math.floor(Date.now() / 1000).toString(36)}_${randomSuffix()}`;
  return { streamName: `T_${id.toUpperCase()}`, deadLetterStreamName: `T_${id.toUpperCase()}_DLQ`, subjectPrefix: `t_${id}` };
};

export const connectTestNats = (): Promise<NatsConnection> => connect({ servers: testNatsUrl().replace(/^nats:\/\//, ''), name: 'bosun-test' });

/** Deletes streams by name (missing ones are fine). */
export const deleteStreams = async (nc: NatsConnection, names: readonly string[]): Promise<void> => {
  const jsm = await jetstreamManager(nc);
  for (const n of names) await jsm.streams.delete(n).catch(() => undefined);
};

/** Deletes streams `T_<AREA>_*` older than `olderThanMs` (leftovers of killed runs). */
export const deleteStaleStreams = async (nc: NatsConnection, area: string, olderThanMs = 30 * 60_000): Promise<string[]> => {
  const jsm = await jetstreamManager(nc);
  const prefix = `T_${area.toUpperCase()}_`;
  const dropped: string[] = [];
  for await (const name of jsm.streams.names()) {
    if (!name.startsWith(prefix)) continue;
    const created = parseInt(name.slice(prefix.length).split('_')[0]!.toLowerCase(), 36) * 1000;
    if (Number.isNaN(created) || Date.now() - created > olderThanMs) {
      await jsm.streams.delete(name).catch(() => undefined);
      dropped.push(name);
    }
  }
  return dropped;
};

const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = netConnect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

const waitPort = async (port: number, open: boolean, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while ((await portOpen(port)) !== open) {
    if (Date.now() > deadline) throw new Error(`127.0.0.1:${port} did not become ${open ? 'reachable' : 'closed'} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** Pid of the process listening on 127.0.0.1:4222 (the machine's nats-server). */
const natsServerPid = (): number => {
  const out = execFileSync('ss', ['-Hltnp', 'sport = :4222'], { encoding: 'utf8' });
  const m = /pid=(\d+)/.exec(out);
  if (!m) throw new Error('no process listens on :4222 (is nats-server running? see scripts/setup.sh)');
  return Number(m[1]);
};

/** Stops the machine's nats-server (only that process, by pid). */
export const stopMachineNats = async (): Promise<void> => {
  const pid = natsServerPid();
  execFileSync('start-stop-daemon', ['--stop', '--oknodo', '--pid', String(pid), '--retry', 'TERM/10/KILL/5'], { stdio: 'ignore' });
  await waitPort(4222, false, 15_000);
};

/** Starts it again exactly as scripts/setup.sh does (JetStream state in /var/lib/nats-server). */
export const startMachineNats = async (): Promise<void> => {
  const args = ['--', '-a', '127.0.0.1', '-p', '4222', '-js', '-sd', '/var/lib/nats-server', '-l', '/var/log/nats-server.log'];
  if (await portOpen(4222)) return;
  execFileSync('start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', '/usr/sbin/nats-server', ...args], { stdio: 'ignore' });
  try {
    await waitPort(4222, true, 3_000);
  } catch {
    // start-stop-daemon matched another nats-server (e.g. one in a test namespace) and did
    // nothing: start ours with a pidfile of its own.
    execFileSync('start-stop-daemon', ['--start', '--background', '--make-pidfile', '--pidfile', '/run/bosun-nats-server.pid', '--exec', '/usr/sbin/nats-server', ...args], { stdio: 'ignore' });
    await waitPort(4222, true, 15_000);
  }
};

/** Stops the machine's nats-server, waits `downMs`, starts it again (it is left running). */
export const restartMachineNats = async (downMs = 1_000): Promise<void> => {
  await stopMachineNats();
  try {
    await new Promise((r) => setTimeout(r, downMs));
  } finally {
    await startMachineNats();
  }
};
