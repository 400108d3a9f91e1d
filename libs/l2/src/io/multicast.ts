import { createSocket, type Socket } from 'node:dgram';
import { solicitedNodeMulticast } from '../codec/addresses';

/**
 * Keeps this host joined to the solicited-node multicast group of every IPv6 address it answers
 * for, on the interfaces it answers on. Neighbour solicitations go to that group, and switches
 * with MLD snooping (the Linux bridge included) only forward it to ports that joined; without
 * the join only unicast solicitations arrive (Cilium #44311). Joins are reference-counted (two
 * addresses can share a group) and spread over sockets, since each socket holds a bounded
 * number of memberships.
 */
export class SolicitedNodeGroups {
  private readonly refs = new Map<string, { count: number; socket: Socket }>();
  private readonly sockets: { socket: Socket; members: number }[] = [];
  private static readonly PER_SOCKET = 200;

  private async socketWithRoom(): Promise<{ socket: Socket; members: number }> {
    const s = this.sockets.find((x) => x.members < SolicitedNodeGroups.PER_SOCKET);
    if (s) return s;
    const socket = createSocket({ type: 'udp6', reuseAddr: true });
    await new Promise<void>((resolvePromise, reject) => {
      socket.once('error', reject);
      socket.bind(0, '::', () => {
        socket.off('error', reject);
        resolvePromise();
      });
    });
    socket.on('error', () => undefined);
    const entry = { socket, members: 0 };
    this.sockets.push(entry);
    return entry;
  }

  /** Joins the group of `address` on `ifname` (no-op when already joined). */
  async join(address: string, ifname: string): Promise<void> {
    const group = solicitedNodeMulticast(address);
    const key = `${group}%${ifname}`;
    const r = this.refs.get(key);
    if (r) {
      r.count++;
      return;
    }
    const s = await this.socketWithRoom();
    s.socket.addMembership(group, `::%${ifname}`);
    s.members++;
    this.refs.set(key, { count: 1, socket: s.socket });
  }

  leave(address: string, ifname: string): void {
    const group = solicitedNodeMulticast(address);
    const key = `${group}%${ifname}`;
    const r = this.refs.get(key);
    if (!r) return;
    if (--r.count > 0) return;
    this.refs.delete(key);
    try {
      r.socket.dropMembership(group, `::%${ifname}`);
    } catch {
      /* the interface may be gone */
    }
    const s = this.sockets.find((x) => x.socket === r.socket);
    if (s) s.members--;
  }

  /** Forgets every join on `ifname` (its link went away: the kernel dropped them). */
  forgetInterface(ifname: string): void {
    for (const [key, r] of this.refs) {
      if (!key.endsWith(`%${ifname}`)) continue;
      this.refs.delete(key);
      const s = this.sockets.find((x) => x.socket === r.socket);
      if (s) s.members -= r.count > 0 ? 1 : 0;
    }
  }

  joined(): string[] {
    return [...this.refs.keys()].sort();
  }

  close(): void {
    for (const s of this.sockets) s.socket.close();
    this.sockets.length = 0;
    this.refs.clear();
  }
}
