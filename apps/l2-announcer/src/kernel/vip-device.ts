import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { writeFileSync, existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { ipFamily } from '@bosun/l2';

const run = promisify(execFile);

export const DEFAULT_VIP_DEVICE = 'bosun-l2';

/**
 * Puts the addresses this node holds on a local dummy interface, so packets a client sends to
 * them are delivered to local listeners (kube-vip does the same, but lets the kernel answer ARP).
 * Here the kernel must stay silent, so that only our lease-fenced responder answers:
 *  - `arp_ignore=1`: the kernel answers ARP only for addresses on the interface the request came
 *    in on (ours are on the dummy, requests arrive on eth0);
 *  - `arp_announce=2`: its own ARP requests never use one of our addresses as the source;
 *  - IPv6 addresses are added with `nodad` (usable at once, no DAD probes); the kernel answers
 *    neighbour solicitations only for addresses of the receiving interface anyway.
 * Changes go through one long-lived `ip -batch` process, so a takeover costs no fork.
 */
export class VipDevice {
  private batch: ChildProcess | null = null;
  private readonly present = new Set<string>();

  constructor(
    readonly name: string = DEFAULT_VIP_DEVICE,
    private readonly log: (msg: string, fields?: Record<string, unknown>) => void = () => undefined,
  ) {
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name)) throw new Error(`BOSUN_L2_VIP_DEVICE: "${name}" is not a valid interface name (1-15 characters)`);
  }

  /** The link type in use: `dummy`, or `ifb` on kernels built without the dummy driver. */
  linkType: 'dummy' | 'ifb' | 'existing' = 'existing';

  /** Creates the dummy (if missing), sets the sysctls and removes addresses a previous run left. */
  async init(): Promise<void> {
    if (!existsSync(`/sys/class/net/${this.name}`)) {
      try {
        await run('ip', ['link', 'add', this.name, 'type', 'dummy']);
        this.linkType = 'dummy';
      } catch (e) {
        // Some kernels lack the dummy driver; an ifb device is just as inert (NOARP, no traffic
        // of its own) and carries local addresses the same way.
        if (!/Unknown device type/.test(String((e as { stderr?: string }).stderr ?? e))) throw e;
        await run('ip', ['link', 'add', this.name, 'type', 'ifb']);
        this.linkType = 'ifb';
        this.log('no dummy driver in this kernel: local addresses go on an ifb device', { device: this.name });
      }
    }
    await run('ip', ['link', 'set', this.name, 'up']);
    writeSysctl('net/ipv4/conf/all/arp_ignore', '1');
    writeSysctl('net/ipv4/conf/all/arp_announce', '2');
    writeSysctl(`net/ipv6/conf/${this.name}/disable_ipv6`, '0', true);
    writeSysctl(`net/ipv6/conf/${this.name}/accept_dad`, '0', true);
    await run('ip', ['addr', 'flush', 'dev', this.name]);
    this.present.clear();
  }

  private ensureBatch(): ChildProcess {
    if (this.batch && this.batch.exitCode === null && !this.batch.killed) return this.batch;
    const child = spawn('ip', ['-force', '-batch', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    child.stderr!.on('data', (b: Buffer) => {
      const text = b.toString('utf8').trim();
      // "File exists" / "Cannot assign requested address" are the idempotent cases.
      if (text && !/File exists|Cannot assign requested address/.test(text)) this.log('ip batch reported an error', { stderr: text });
    });
    child.on('exit', () => {
      if (this.batch === child) this.batch = null;
    });
    child.on('error', (e) => {
      this.log('cannot run ip -batch', { error: e.message });
      if (this.batch === child) this.batch = null;
    });
    child.stdin!.on('error', () => undefined);
    this.batch = child;
    return child;
  }

  private command(line: string): void {
    this.ensureBatch().stdin!.write(`${line}\n`);
  }

  private static cidr(address: string): string {
    return ipFamily(address) === 6 ? `${address}/128` : `${address}/32`;
  }

  add(address: string): void {
    if (this.present.has(address)) return;
    this.present.add(address);
    this.command(`addr add ${VipDevice.cidr(address)} dev ${this.name}${ipFamily(address) === 6 ? ' nodad' : ''}`);
  }

  remove(address: string): void {
    if (!this.present.delete(address)) return;
    this.command(`addr del ${VipDevice.cidr(address)} dev ${this.name}`);
  }

  /** Brings the device to exactly `addresses` (also repairs changes made behind our back). */
  async reconcile(addresses: Iterable<string>): Promise<void> {
    const want = new Set(addresses);
    const actual = await this.list();
    for (const a of actual) {
      if (want.has(a)) continue;
      this.present.add(a);
      this.remove(a);
    }
    for (const a of want) {
      if (actual.has(a)) continue;
      this.present.delete(a);
      this.add(a);
    }
  }

  async list(): Promise<Set<string>> {
    const { stdout } = await run('ip', ['-j', 'addr', 'show', 'dev', this.name]);
    const parsed = JSON.parse(stdout) as Array<{ addr_info?: Array<{ local: string; scope?: string }> }>;
    return new Set(parsed.flatMap((l) => (l.addr_info ?? []).filter((a) => a.scope !== 'link').map((a) => a.local)));
  }

  async close(removeAddresses: boolean): Promise<void> {
    const b = this.batch;
    this.batch = null;
    if (b) {
      b.stdin!.end();
      await new Promise<void>((r) => (b.exitCode !== null ? r() : b.once('exit', () => r())));
    }
    if (removeAddresses) await run('ip', ['addr', 'flush', 'dev', this.name]).catch(() => undefined);
    this.present.clear();
  }
}

const writeSysctl = (path: string, value: string, optional = false): void => {
  try {
    writeFileSync(`/proc/sys/${path}`, value);
  } catch (e) {
    if (!optional) throw new Error(`cannot set ${path.replace(/\//g, '.')}=${value}: ${e instanceof Error ? e.message : String(e)}`);
  }
};
