import ipaddr from 'ipaddr.js';
import { ApiError } from './k8s/errors';

type Family = 'IPv4' | 'IPv6';

interface Range {
  readonly family: Family;
  readonly cidr: string;
  readonly base: bigint;
  readonly size: bigint;
  readonly bits: number;
}

const toBig = (addr: ipaddr.IPv4 | ipaddr.IPv6): bigint => addr.toByteArray().reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
const fromBig = (n: bigint, family: Family): string => {
  const len = family === 'IPv4' ? 4 : 16;
  const bytes: number[] = [];
  for (let i = 0; i < len; i++) bytes.unshift(Number((n >> BigInt(8 * i)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
};

const parseRange = (cidr: string): Range => {
  const [addr, bits] = ipaddr.parseCIDR(cidr);
  const family: Family = addr.kind() === 'ipv4' ? 'IPv4' : 'IPv6';
  const total = family === 'IPv4' ? 32 : 128;
  const size = 1n << BigInt(total - bits);
  const base = toBig(addr) & ~(size - 1n);
  return { family, cidr, base, size, bits };
};

/** Canonical text of an address (so `fd00:10:96::0a` and `fd00:10:96::a` are the same IP). */
const canonical = (ip: string): string | undefined => {
  try {
    return ipaddr.parse(ip).toString();
  } catch {
    return undefined;
  }
};

/**
 * Service ClusterIP allocation from the service CIDRs (defaults 10.96.0.0/16, fd00:10:96::/112).
 * The set of taken IPs follows the object view; reservations cover writes not yet projected.
 */
export class ServiceIPAllocator {
  private readonly ranges = new Map<Family, Range>();
  private readonly owners = new Map<string, string>(); // ip → service key
  private readonly pending = new Map<string, string>();
  private cursor = new Map<Family, bigint>();

  constructor(cidrs: readonly string[]) {
    for (const c of cidrs) {
      const r = parseRange(c);
      this.ranges.set(r.family, r);
    }
  }

  families(): Family[] {
    return [...this.ranges.keys()];
  }

  /** Keeps the taken set in step with the object view. */
  track(serviceKey: string, before: readonly string[], after: readonly string[]): void {
    for (const ip of before) {
      const c = canonical(ip);
      if (c && this.owners.get(c) === serviceKey) this.owners.delete(c);
    }
    for (const ip of after) {
      const c = canonical(ip);
      if (c) {
        this.owners.set(c, serviceKey);
        this.pending.delete(c);
      }
    }
  }

  release(ips: readonly string[], serviceKey: string): void {
    for (const ip of ips) {
      const c = canonical(ip);
      if (c && this.pending.get(c) === serviceKey) this.pending.delete(c);
    }
  }

  /** Checks a requested IP; reserves it for `serviceKey`. `field` names it in errors. */
  claim(ip: string, serviceKey: string, field: string): string {
    const c = canonical(ip);
    if (!c) throw this.invalid(field, ip, 'must be a valid IP address');
    const addr = ipaddr.parse(c);
    const family: Family = addr.kind() === 'ipv4' ? 'IPv4' : 'IPv6';
    const range = this.ranges.get(family);
    const n = toBig(addr);
    if (!range || n < range.base || n >= range.base + range.size) {
      throw this.invalid(field, ip, `provided IP is not in the valid range. The range of valid IPs is ${[...this.ranges.values()].map((r) => r.cidr).join(',')}`);
    }
    const owner = this.owners.get(c) ?? this.pending.get(c);
    if (owner && owner !== serviceKey) throw this.invalid(field, ip, 'provided IP is already allocated');
    this.pending.set(c, serviceKey);
    return c;
  }

  allocate(family: Family, serviceKey: string, field: string): string {
    const range = this.ranges.get(family);
    if (!range) throw this.invalid(field, family, `no service CIDR of family ${family} is configured`);
    // Skip the network address and, for IPv4, the broadcast address.
    const first = 1n;
    const last = range.size - (family === 'IPv4' ? 2n : 1n);
    let i = this.cursor.get(family) ?? first;
    for (let tries = 0n; tries <= last; tries++) {
      if (i > last || i < first) i = first;
      const ip = fromBig(range.base + i, family);
      i++;
      if (this.owners.has(ip) || this.pending.has(ip)) continue;
      this.cursor.set(family, i);
      this.pending.set(ip, serviceKey);
      return ip;
    }
    throw new ApiError(500, 'InternalError', `Internal error occurred: failed to allocate a serviceIP: range is full (${range.cidr})`);
  }

  private invalid(field: string, value: string, message: string): ApiError {
    return new ApiError(422, 'Invalid', `Service is invalid: ${field}: Invalid value: "${value}": ${message}`, {
      kind: 'Service',
      causes: [{ field, reason: 'FieldValueInvalid', message: `Invalid value: "${value}": ${message}` }],
    });
  }
}

export const familyOf = (ip: string): Family | undefined => {
  const c = canonical(ip);
  if (!c) return undefined;
  return ipaddr.parse(c).kind() === 'ipv4' ? 'IPv4' : 'IPv6';
};

/**
 * Fills `spec.clusterIP(s)` and `spec.ipFamilies` of a Service (Kubernetes semantics): keeps the
 * IPs it already has, honours requested ones, allocates the rest by `ipFamilyPolicy`.
 * Returns the IPs newly reserved (release them if the write fails).
 */
export const assignClusterIPs = (
  alloc: ServiceIPAllocator,
  serviceKey: string,
  spec: Record<string, unknown>,
  oldSpec: Record<string, unknown> | undefined,
): string[] => {
  const type = (spec.type as string | undefined) ?? 'ClusterIP';
  if (type === 'ExternalName') return [];
  const oldIPs = (oldSpec?.clusterIPs as string[] | undefined) ?? (typeof oldSpec?.clusterIP === 'string' && oldSpec.clusterIP ? [oldSpec.clusterIP] : []);
  let requested = (spec.clusterIPs as string[] | undefined) ?? (typeof spec.clusterIP === 'string' && spec.clusterIP ? [spec.clusterIP] : []);
  if (oldIPs.length > 0 && oldIPs[0] !== 'None') {
    // ClusterIPs are immutable: an update that leaves them out keeps the old ones.
    if (requested.length === 0) requested = oldIPs;
    else if (canonical(requested[0]!) !== canonical(oldIPs[0]!)) {
      throw new ApiError(422, 'Invalid', `Service is invalid: spec.clusterIPs[0]: Invalid value: "${requested[0]}": may not change once set`, {
        kind: 'Service',
        causes: [{ field: 'spec.clusterIPs[0]', reason: 'FieldValueInvalid', message: 'Invalid value: may not change once set' }],
      });
    }
  }
  if (requested[0] === 'None') {
    spec.clusterIP = 'None';
    spec.clusterIPs = ['None'];
    const fams = (spec.ipFamilies as Family[] | undefined) ?? [alloc.families()[0] ?? 'IPv4'];
    spec.ipFamilies = fams;
    spec.ipFamilyPolicy ??= 'SingleStack';
    return [];
  }
  const policy = (spec.ipFamilyPolicy as string | undefined) ?? (requested.length > 1 || ((spec.ipFamilies as unknown[]) ?? []).length > 1 ? 'PreferDualStack' : 'SingleStack');
  let families = ((spec.ipFamilies as Family[] | undefined) ?? []).slice();
  requested.forEach((ip, i) => {
    const f = familyOf(ip);
    if (f && !families[i]) families[i] = f;
  });
  if (families.length === 0) families.push(alloc.families()[0] ?? 'IPv4');
  if (policy !== 'SingleStack' && families.length === 1) {
    const other: Family = families[0] === 'IPv4' ? 'IPv6' : 'IPv4';
    if (alloc.families().includes(other)) families.push(other);
    else if (policy === 'RequireDualStack') {
      throw new ApiError(422, 'Invalid', 'Service is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services', {
        kind: 'Service',
        causes: [{ field: 'spec.ipFamilyPolicy', reason: 'FieldValueInvalid', message: 'this cluster is not configured for dual-stack services' }],
      });
    }
  }
  if (policy === 'SingleStack') families = families.slice(0, 1);
  const reserved: string[] = [];
  const ips: string[] = [];
  try {
    families.forEach((f, i) => {
      const want = requested[i];
      const keep = oldIPs[i] && want && canonical(oldIPs[i]!) === canonical(want);
      const ip = want ? (keep ? canonical(want)! : alloc.claim(want, serviceKey, `spec.clusterIPs[${i}]`)) : alloc.allocate(f, serviceKey, `spec.clusterIPs[${i}]`);
      if (!keep) reserved.push(ip);
      if (familyOf(ip) !== f) {
        throw new ApiError(422, 'Invalid', `Service is invalid: spec.clusterIPs[${i}]: Invalid value: "${ip}": expected an ${f} value as indicated by \`ipFamilies[${i}]\``, {
          kind: 'Service',
          causes: [{ field: `spec.clusterIPs[${i}]`, reason: 'FieldValueInvalid', message: `expected an ${f} value` }],
        });
      }
      ips.push(ip);
    });
  } catch (e) {
    alloc.release(reserved, serviceKey);
    throw e;
  }
  spec.clusterIP = ips[0];
  spec.clusterIPs = ips;
  spec.ipFamilies = families;
  spec.ipFamilyPolicy = policy;
  return reserved;
};
