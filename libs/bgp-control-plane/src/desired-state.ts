import { selectorMatches } from '@bosun/resources';
import {
  interfacePrefixes,
  parseAdvertisement,
  podCIDRPrefixes,
  servicePrefixes,
  servicesWithLocalEndpoints,
  type AdvertEntry,
  type AdvertisedPrefix,
} from './advertisements';
import { normalizeCommunities, normalizeLargeCommunities } from './communities';
import { parseAddress, sortPrefixes } from './ip';
import {
  ConditionType,
  DEFAULT_SECRETS_NAMESPACE,
  type Afi,
  type BgpInputs,
  type BlockedPeer,
  type Condition,
  type DesiredInstance,
  type DesiredPeer,
  type DesiredRoute,
  type FamilyRoutes,
  type KubeObject,
  type NodeDesiredState,
  type NodeInfo,
} from './model';
import { renderNodeConfig } from './node-config';
import { DEFAULT_PEER_CONFIG, resolvePeerConfig, type ResolvedPeerConfig } from './peer-config';
import { isRecord, labelsOf, nameOf, readInt, type Problems } from './read';

/**
 * The node's whole desired BGP state from its inputs: the NodeConfig Cilium's operator would
 * render, then — as Cilium's agent does from that NodeConfig — the instances, their peers
 * with resolved PeerConfigs and passwords, and per peer and family the routes with merged
 * attributes. Pure and deterministic (sorted output), so a recomputation that changes nothing
 * yields an equal value.
 */
export const computeDesiredState = (input: BgpInputs): NodeDesiredState => {
  const problems: Problems = [];
  const { node } = input;
  const rendered = renderNodeConfig(node, input.clusterConfigs, input.nodeConfigOverrides, input.existingNodeConfig, problems);
  if (!rendered) return { node: node.name, instances: [], conditions: [], problems: dedupe(problems) };

  const ctx = new RouteContext(input, problems);
  const peerConfigs = new Map(input.peerConfigs.map((pc) => [nameOf(pc), pc]));
  const resolved = new Map<string, { config: ResolvedPeerConfig; valid: boolean }>();
  const resolve = (name: string): { config: ResolvedPeerConfig; valid: boolean } | undefined => {
    if (!resolved.has(name)) {
      const pc = peerConfigs.get(name);
      if (!pc) return undefined;
      resolved.set(name, resolvePeerConfig(pc, problems));
    }
    return resolved.get(name);
  };
  const override = input.nodeConfigOverrides.find((o) => nameOf(o) === node.name);
  const secretsNamespace = input.secretsNamespace ?? DEFAULT_SECRETS_NAMESPACE;
  const missingPeerConfigs = new Set<string>();
  const missingSecrets = new Set<string>();

  const instances: DesiredInstance[] = [];
  for (const inst of rendered.spec.bgpInstances) {
    const where = `CiliumBGPNodeConfig/${node.name}: spec.bgpInstances[${inst.name}]`;
    if (inst.localASN === undefined) {
      problems.push(`${where}.localASN: required`);
      continue;
    }
    const routerID = inst.routerID ?? defaultRouterID(node);
    if (!routerID || parseAddress(routerID)?.afi !== 'ipv4') {
      problems.push(
        inst.routerID
          ? `${where}.routerID: must be an IPv4 address, got ${JSON.stringify(inst.routerID)}`
          : `Node/${node.name}: has no IPv4 address to use as the router ID of instance ${inst.name}; set spec.bgpInstances[].routerID in CiliumBGPNodeConfigOverride/${node.name}`,
      );
      continue;
    }
    const peers: DesiredPeer[] = [];
    const blockedPeers: BlockedPeer[] = [];
    const seen = new Set<string>();
    for (const p of inst.peers ?? []) {
      const pw = `${where}.peers[${p.name}]`;
      if (seen.has(p.name)) {
        problems.push(`${pw}: peer name listed twice`);
        continue;
      }
      seen.add(p.name);
      const peerASN = p.peerASN ?? 0;
      const block = (reason: BlockedPeer['reason'], message: string, authSecretRef?: string): void => {
        blockedPeers.push({ name: p.name, ...(p.peerAddress ? { peerAddress: p.peerAddress } : {}), peerASN, reason, message, ...(authSecretRef ? { authSecretRef } : {}) });
      };
      if (!p.peerAddress) {
        block('NoPeerAddress', `peer ${p.name} has no peerAddress (autoDiscovery is not supported by Bosun)`);
        continue;
      }
      const peerAddr = parseAddress(p.peerAddress);
      if (!peerAddr) {
        problems.push(`${pw}.peerAddress: not an IP address: ${JSON.stringify(p.peerAddress)}`);
        block('InvalidPeerConfig', `peerAddress ${JSON.stringify(p.peerAddress)} is not an IP address`);
        continue;
      }
      let pc: ResolvedPeerConfig = DEFAULT_PEER_CONFIG;
      if (p.peerConfigRef) {
        const r = resolve(p.peerConfigRef.name);
        if (!r) {
          missingPeerConfigs.add(p.peerConfigRef.name);
          block('MissingPeerConfig', `CiliumBGPPeerConfig ${JSON.stringify(p.peerConfigRef.name)} does not exist`);
          continue;
        }
        if (!r.valid) {
          block('InvalidPeerConfig', `CiliumBGPPeerConfig ${JSON.stringify(p.peerConfigRef.name)} is invalid (see conditions)`);
          continue;
        }
        pc = r.config;
      }
      let auth: DesiredPeer['auth'];
      if (pc.authSecretRef) {
        const secret = input.secrets.get(pc.authSecretRef);
        if (!secret) {
          missingSecrets.add(pc.authSecretRef);
          // Cilium would fall back to no password; Bosun never runs a session unauthenticated.
          block('MissingAuthSecret', `Secret ${secretsNamespace}/${pc.authSecretRef} referenced by authSecretRef does not exist`, pc.authSecretRef);
          continue;
        }
        const password = secret.data['password'];
        if (!password) {
          block('InvalidAuthSecret', `Secret ${secretsNamespace}/${pc.authSecretRef} has no non-empty key "password"`, pc.authSecretRef);
          continue;
        }
        if (Buffer.byteLength(password) > 80) {
          block('InvalidAuthSecret', `Secret ${secretsNamespace}/${pc.authSecretRef}: key "password" is longer than 80 bytes (TCP MD5 limit)`, pc.authSecretRef);
          continue;
        }
        auth = { secretRef: pc.authSecretRef, password };
      }
      const ovPeer = overridePeer(override, inst.name, p.name);
      const localPort = (ovPeer ? readInt(ovPeer.localPort, `CiliumBGPNodeConfigOverride/${node.name}: peers[${p.name}].localPort`, problems, { min: 1, max: 65535 }) : undefined) ?? pc.localPort;
      const ibgp = peerASN === 0 ? undefined : peerASN === inst.localASN;
      peers.push({
        name: p.name,
        peerAddress: peerAddr.text,
        peerPort: pc.peerPort,
        peerASN,
        ibgp,
        ...(p.localAddress ? { localAddress: p.localAddress } : {}),
        ...(localPort !== undefined ? { localPort } : {}),
        ...(p.peerConfigRef ? { peerConfigRef: p.peerConfigRef.name } : {}),
        timers: pc.timers,
        gracefulRestart: pc.gracefulRestart,
        ebgpMultihop: pc.ebgpMultihop,
        families: pc.families.map((f) => f.family),
        ...(auth ? { auth } : {}),
        nextHop: nextHops(node, p.localAddress),
        routes: pc.families.map((f) => ({ family: f.family, routes: ctx.routes(f.advertisements, f.family.afi, ibgp) })),
      });
    }
    instances.push({
      name: inst.name,
      localASN: inst.localASN,
      routerID,
      ...(inst.localPort !== undefined ? { localPort: inst.localPort } : {}),
      peers,
      blockedPeers,
    });
  }

  const conditions: Condition[] = [
    cond(
      ConditionType.ConflictingClusterConfig,
      rendered.conflictingClusterConfigs.length > 0,
      'ConflictingClusterConfigs',
      rendered.conflictingClusterConfigs.length > 0
        ? `Node is also selected by CiliumBGPClusterConfig(s) ${JSON.stringify(rendered.conflictingClusterConfigs)}; ${rendered.owner.name} owns it`
        : '',
    ),
    cond(
      ConditionType.MissingPeerConfigs,
      missingPeerConfigs.size > 0,
      'MissingPeerConfigs',
      missingPeerConfigs.size > 0 ? `Referenced CiliumBGPPeerConfig(s) are missing: ${JSON.stringify([...missingPeerConfigs].sort())}` : '',
    ),
    cond(
      ConditionType.MissingAuthSecret,
      missingSecrets.size > 0,
      'MissingAuthSecret',
      missingSecrets.size > 0
        ? `Referenced auth Secret(s) ${JSON.stringify([...missingSecrets].sort())} missing in namespace ${secretsNamespace}: those peers are not started (no unauthenticated session)`
        : '',
    ),
    cond(ConditionType.BGPReconcileError, problems.length > 0, 'BGPReconcileError', dedupe(problems).join('; ').slice(0, 2000)),
  ].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  return { node: node.name, nodeConfig: rendered, instances, conditions, problems: dedupe(problems) };
};

const cond = (type: string, isTrue: boolean, reason: string, message: string): Condition => ({
  type,
  status: isTrue ? 'True' : 'False',
  reason,
  message,
});

const dedupe = (xs: readonly string[]): string[] => [...new Set(xs)];

const overridePeer = (override: KubeObject | undefined, instance: string, peer: string): Record<string, any> | undefined => {
  const insts = Array.isArray(override?.spec?.bgpInstances) ? (override!.spec.bgpInstances as unknown[]) : [];
  const inst = insts.find((i) => isRecord(i) && i.name === instance) as Record<string, any> | undefined;
  const peers = Array.isArray(inst?.peers) ? (inst!.peers as unknown[]) : [];
  return peers.find((p) => isRecord(p) && p.name === peer) as Record<string, any> | undefined;
};

/** Cilium's default router ID: the node's IPv4 address (InternalIP first). */
export const defaultRouterID = (node: NodeInfo): string | undefined => {
  const ordered = [...node.addresses.filter((a) => a.type === 'InternalIP'), ...node.addresses.filter((a) => a.type !== 'InternalIP')];
  return ordered.map((a) => parseAddress(a.address)).find((a) => a?.afi === 'ipv4')?.text;
};

/** Next hops for our routes: the session's local address for its own AFI, else the node's address of that AFI. */
export const nextHops = (node: NodeInfo, localAddress: string | undefined): { ipv4?: string; ipv6?: string } => {
  const local = parseAddress(localAddress);
  const pick = (afi: Afi): string | undefined => {
    if (local?.afi === afi) return local.text;
    const ordered = [...node.addresses.filter((a) => a.type === 'InternalIP'), ...node.addresses.filter((a) => a.type !== 'InternalIP')];
    for (const a of ordered) {
      const p = parseAddress(a.address);
      if (p?.afi === afi && !(afi === 'ipv6' && p.text.toLowerCase().startsWith('fe80:'))) return p.text;
    }
    return undefined;
  };
  const ipv4 = pick('ipv4');
  const ipv6 = pick('ipv6');
  return { ...(ipv4 ? { ipv4 } : {}), ...(ipv6 ? { ipv6 } : {}) };
};

/** Computes and caches per-entry prefixes, then merges attributes per peer and family. */
class RouteContext {
  private readonly entriesByAdvert = new Map<string, AdvertEntry[]>();
  private readonly prefixCache = new Map<string, AdvertisedPrefix[]>();
  private readonly localServices: Set<string>;

  constructor(
    private readonly input: BgpInputs,
    private readonly problems: Problems,
  ) {
    this.localServices = servicesWithLocalEndpoints(input.node.name, input.endpointSlices);
  }

  private entriesOf(advert: KubeObject): AdvertEntry[] {
    const name = nameOf(advert);
    let e = this.entriesByAdvert.get(name);
    if (!e) {
      e = parseAdvertisement(advert, this.problems);
      this.entriesByAdvert.set(name, e);
    }
    return e;
  }

  private prefixesOf(entry: AdvertEntry, afi: Afi): AdvertisedPrefix[] {
    const key = `${entry.id}|${afi}`;
    let out = this.prefixCache.get(key);
    if (!out) {
      switch (entry.type) {
        case 'Service':
          out = this.input.services.flatMap((svc) => servicePrefixes(svc, entry, afi, this.localServices));
          break;
        case 'PodCIDR':
          out = podCIDRPrefixes(this.input.node, entry, afi);
          break;
        case 'Interface':
          out = interfacePrefixes(this.input.node, entry, afi);
          break;
        case 'CiliumPodIPPool':
          out = []; // Bosun has no pod IP pools: nothing to announce
          break;
        default: {
          const never: never = entry.type;
          throw new Error(`unknown advertisement type ${String(never)}`);
        }
      }
      this.prefixCache.set(key, out);
    }
    return out;
  }

  /** Routes of one peer family: adverts selected by the family's selector (absent selects none). */
  routes(selector: import('@bosun/resources').LabelSelector | undefined, afi: Afi, ibgp: boolean | undefined): DesiredRoute[] {
    if (!selector) return [];
    const acc = new Map<string, { communities: Set<number>; large: Set<string>; localPreference?: number; sources: Set<string> }>();
    for (const advert of this.input.advertisements) {
      if (!selectorMatches(selector, labelsOf(advert))) continue;
      for (const entry of this.entriesOf(advert)) {
        for (const { prefix, source } of this.prefixesOf(entry, afi)) {
          let a = acc.get(prefix);
          if (!a) acc.set(prefix, (a = { communities: new Set(), large: new Set(), sources: new Set() }));
          // Overlapping adverts: communities are unioned, the highest local preference wins.
          for (const c of entry.attributes.communities) a.communities.add(c);
          for (const c of entry.attributes.largeCommunities) a.large.add(c);
          const lp = entry.attributes.localPreference;
          if (lp !== undefined && (a.localPreference === undefined || lp > a.localPreference)) a.localPreference = lp;
          a.sources.add(source);
        }
      }
    }
    const routes: DesiredRoute[] = [...acc.entries()].map(([prefix, a]) => ({
      prefix,
      communities: normalizeCommunities(a.communities),
      largeCommunities: normalizeLargeCommunities(a.large),
      // LOCAL_PREF is for iBGP only; with a learnt peer AS the engine drops it toward eBGP.
      ...(a.localPreference !== undefined && ibgp !== false ? { localPreference: a.localPreference } : {}),
      sources: [...a.sources].sort(),
    }));
    return sortPrefixes(routes, (r) => r.prefix);
  }
}

export type { FamilyRoutes };
