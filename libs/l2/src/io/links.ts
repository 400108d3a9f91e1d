import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { NodeInterface } from '../policy/types';

const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;
const IFF_NOARP = 0x80;

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
};

/**
 * The interfaces of the current network namespace, from /sys/class/net. A link counts as up
 * when it is administratively up and has carrier with operstate up (or unknown, as dummy and
 * some drivers report).
 */
export const readInterfaces = (sysClassNet = '/sys/class/net'): NodeInterface[] => {
  let names: string[];
  try {
    names = readdirSync(sysClassNet);
  } catch {
    return [];
  }
  const out: NodeInterface[] = [];
  for (const name of names.sort()) {
    const dir = `${sysClassNet}/${name}`;
    const flags = parseInt(read(`${dir}/flags`) ?? '0', 16);
    const operstate = read(`${dir}/operstate`) ?? 'unknown';
    const carrier = read(`${dir}/carrier`) === '1';
    const mac = (read(`${dir}/address`) ?? '').toLowerCase();
    out.push({
      name,
      mac,
      up: (flags & IFF_UP) !== 0 && carrier && (operstate === 'up' || operstate === 'unknown'),
      loopback: (flags & IFF_LOOPBACK) !== 0,
      noArp: (flags & IFF_NOARP) !== 0 || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac),
      hasMaster: existsSync(`${dir}/master`),
    });
  }
  return out;
};
