import { selectorMatches } from '@bosun/resources';
import type { KubeObject, NodeConfigSpec, NodeInfo, OwnerReference, RenderedNodeConfig } from './model';
import { isRecord, nameOf, readArray, readInt, readSelector, readString, type Problems } from './read';

/**
 * The operator's half of BGP Control Plane v2 for one node: which CiliumBGPClusterConfig owns the
 * node, and the CiliumBGPNodeConfig spec it renders (cluster instances and peers with the
 * same-named CiliumBGPNodeConfigOverride applied). Bosun runs it in each node's speaker, which
 * is the only writer of that node's NodeConfig.
 */

export const CLUSTER_CONFIG_KIND = 'CiliumBGPClusterConfig';
export const CILIUM_V2 = 'cilium.io/v2';

/** ClusterConfigs whose `spec.nodeSelector` matches the node (an absent selector selects all nodes). */
export const clusterConfigsSelecting = (node: NodeInfo, clusterConfigs: readonly KubeObject[], problems: Problems = []): KubeObject[] =>
  clusterConfigs.filter((cc) => {
    const where = `CiliumBGPClusterConfig/${nameOf(cc)}: spec.nodeSelector`;
    const raw = cc.spec?.nodeSelector;
    if (raw === undefined || raw === null) return true;
    const sel = readSelector(raw, where, problems);
    return sel !== undefined && selectorMatches(sel, node.labels);
  });

const ownerUidOf = (nc: KubeObject | undefined): string | undefined =>
  nc?.metadata?.ownerReferences?.find((r) => r.kind === CLUSTER_CONFIG_KIND)?.uid;

const creationOf = (o: KubeObject): string => String((o.metadata as Record<string, unknown> | undefined)?.creationTimestamp ?? '');

/**
 * Picks the owning ClusterConfig: the current owner of the node's NodeConfig keeps it while it
 * still selects the node (as Cilium's operator does); otherwise the oldest selecting one
 * (creation time, then name) takes it. The others are conflicting.
 */
export const chooseOwner = (
  selecting: readonly KubeObject[],
  existingNodeConfig: KubeObject | undefined,
): { owner: KubeObject; conflicting: string[] } | undefined => {
  if (selecting.length === 0) return undefined;
  const currentUid = ownerUidOf(existingNodeConfig);
  const sorted = [...selecting].sort((a, b) => {
    const ca = creationOf(a);
    const cb = creationOf(b);
    if (ca !== cb) return ca < cb ? -1 : 1;
    return nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0;
  });
  const owner = sorted.find((cc) => currentUid !== undefined && cc.metadata?.uid === currentUid) ?? sorted[0]!;
  return { owner, conflicting: sorted.filter((cc) => cc !== owner).map(nameOf) };
};

/** The override named after the node, if any. */
export const overrideFor = (node: NodeInfo, overrides: readonly KubeObject[]): KubeObject | undefined =>
  overrides.find((o) => nameOf(o) === node.name);

/** Renders the NodeConfig spec from the owner's instances and the node's override. */
export const renderNodeConfigSpec = (clusterConfig: KubeObject, override: KubeObject | undefined, problems: Problems): NodeConfigSpec => {
  const ccRef = `CiliumBGPClusterConfig/${nameOf(clusterConfig)}`;
  const ovRef = override ? `CiliumBGPNodeConfigOverride/${nameOf(override)}` : '';
  const overrideInstances = override ? readArray(override.spec?.bgpInstances, `${ovRef}: spec.bgpInstances`, problems).filter(isRecord) : [];
  const instances = readArray(clusterConfig.spec?.bgpInstances, `${ccRef}: spec.bgpInstances`, problems);
  const out: NodeConfigSpec['bgpInstances'][number][] = [];
  for (const [i, raw] of instances.entries()) {
    const where = `${ccRef}: spec.bgpInstances[${i}]`;
    if (!isRecord(raw)) {
      problems.push(`${where}: must be an object`);
      continue;
    }
    const name = readString(raw.name, `${where}.name`, problems);
    if (!name) {
      problems.push(`${where}.name: required`);
      continue;
    }
    let localASN = readInt(raw.localASN, `${where}.localASN`, problems, { min: 1, max: 4294967295 });
    let localPort = readInt(raw.localPort, `${where}.localPort`, problems, { min: 1, max: 65535 });
    let routerID: string | undefined;
    const oi = overrideInstances.findIndex((o) => o.name === name);
    const ov = oi >= 0 ? overrideInstances[oi] : undefined;
    const ovWhere = `${ovRef}: spec.bgpInstances[${oi}]`;
    if (ov) {
      routerID = readString(ov.routerID, `${ovWhere}.routerID`, problems) ?? routerID;
      localPort = readInt(ov.localPort, `${ovWhere}.localPort`, problems, { min: 1, max: 65535 }) ?? localPort;
      localASN = readInt(ov.localASN, `${ovWhere}.localASN`, problems, { min: 1, max: 4294967295 }) ?? localASN;
    }
    const ovPeers = ov ? readArray(ov.peers, `${ovWhere}.peers`, problems).filter(isRecord) : [];
    const peers: NonNullable<NodeConfigSpec['bgpInstances'][number]['peers']>[number][] = [];
    for (const [j, p] of readArray(raw.peers, `${where}.peers`, problems).entries()) {
      const pw = `${where}.peers[${j}]`;
      if (!isRecord(p)) {
        problems.push(`${pw}: must be an object`);
        continue;
      }
      const peerName = readString(p.name, `${pw}.name`, problems);
      if (!peerName) {
        problems.push(`${pw}.name: required`);
        continue;
      }
      const peerAddress = readString(p.peerAddress, `${pw}.peerAddress`, problems);
      const peerASN = readInt(p.peerASN, `${pw}.peerASN`, problems, { min: 0, max: 4294967295 });
      const refName = isRecord(p.peerConfigRef) ? readString(p.peerConfigRef.name, `${pw}.peerConfigRef.name`, problems) : undefined;
      // v2alpha1 refs also carry group/kind (defaulted to cilium.io/CiliumBGPPeerConfig); like
      // Cilium's agent, only the name is used.
      const ovPeer = ovPeers.find((o) => o.name === peerName);
      const localAddress = ovPeer ? readString(ovPeer.localAddress, `${ovRef}: peers[${peerName}].localAddress`, problems) : undefined;
      peers.push({
        name: peerName,
        ...(peerAddress !== undefined ? { peerAddress } : {}),
        peerASN: peerASN ?? 0,
        ...(localAddress !== undefined ? { localAddress } : {}),
        ...(refName ? { peerConfigRef: { name: refName } } : {}),
      });
    }
    out.push({
      name,
      ...(localASN !== undefined ? { localASN } : {}),
      ...(routerID !== undefined ? { routerID } : {}),
      ...(localPort !== undefined ? { localPort } : {}),
      peers,
    });
  }
  return { bgpInstances: out };
};

/** Renders the node's NodeConfig: its owner, spec and the conflicting ClusterConfigs; undefined if none selects it. */
export const renderNodeConfig = (
  node: NodeInfo,
  clusterConfigs: readonly KubeObject[],
  overrides: readonly KubeObject[],
  existingNodeConfig: KubeObject | undefined,
  problems: Problems = [],
): RenderedNodeConfig | undefined => {
  const chosen = chooseOwner(clusterConfigsSelecting(node, clusterConfigs, problems), existingNodeConfig);
  if (!chosen) return undefined;
  return {
    owner: { name: nameOf(chosen.owner), uid: chosen.owner.metadata?.uid ?? '' },
    spec: renderNodeConfigSpec(chosen.owner, overrideFor(node, overrides), problems),
    conflictingClusterConfigs: chosen.conflicting,
  };
};

/** The NodeConfig object to apply through the API (name = node name, controller owner = the ClusterConfig). */
export const nodeConfigObject = (node: string, rendered: RenderedNodeConfig): KubeObject => {
  const owner: OwnerReference = {
    apiVersion: CILIUM_V2,
    kind: CLUSTER_CONFIG_KIND,
    name: rendered.owner.name,
    uid: rendered.owner.uid,
    controller: true,
  };
  return {
    apiVersion: CILIUM_V2,
    kind: 'CiliumBGPNodeConfig',
    metadata: { name: node, ownerReferences: [owner] },
    spec: rendered.spec,
  };
};

/**
 * The conditions Cilium's operator writes on a CiliumBGPClusterConfig, from the cluster-wide view
 * (all Nodes, all PeerConfigs, all ClusterConfigs): NoMatchingNode, MissingPeerConfigs,
 * ConflictingClusterConfig.
 */
export const clusterConfigConditions = (
  clusterConfig: KubeObject,
  nodes: readonly NodeInfo[],
  peerConfigNames: ReadonlySet<string>,
  allClusterConfigs: readonly KubeObject[],
): { type: string; status: 'True' | 'False'; reason: string; message: string }[] => {
  const problems: Problems = [];
  const matching = nodes.filter((n) => clusterConfigsSelecting(n, [clusterConfig], problems).length > 0);
  const missing = new Set<string>();
  for (const inst of Array.isArray(clusterConfig.spec?.bgpInstances) ? clusterConfig.spec.bgpInstances : []) {
    for (const p of Array.isArray(inst?.peers) ? inst.peers : []) {
      const ref = p?.peerConfigRef?.name;
      if (typeof ref === 'string' && ref && !peerConfigNames.has(ref)) missing.add(ref);
    }
  }
  const conflicting = new Set<string>();
  for (const n of matching) {
    const others = clusterConfigsSelecting(n, allClusterConfigs, problems).filter((cc) => nameOf(cc) !== nameOf(clusterConfig));
    for (const o of others) conflicting.add(nameOf(o));
  }
  const sortedMissing = [...missing].sort();
  const sortedConflicting = [...conflicting].sort();
  return [
    {
      type: 'cilium.io/ConflictingClusterConfig',
      status: sortedConflicting.length > 0 ? 'True' : 'False',
      reason: 'ConflictingClusterConfigs',
      message: sortedConflicting.length > 0 ? `Selecting the same node(s) with ClusterConfig(s): ${JSON.stringify(sortedConflicting)}` : '',
    },
    {
      type: 'cilium.io/MissingPeerConfigs',
      status: sortedMissing.length > 0 ? 'True' : 'False',
      reason: 'MissingPeerConfigs',
      message: sortedMissing.length > 0 ? `Referenced CiliumBGPPeerConfig(s) are missing: ${JSON.stringify(sortedMissing)}` : '',
    },
    {
      type: 'cilium.io/NoMatchingNode',
      status: matching.length === 0 ? 'True' : 'False',
      reason: 'NoMatchingNode',
      message: matching.length === 0 ? 'No node matches spec.nodeSelector' : '',
    },
  ];
};

/** The condition Cilium's operator writes on a CiliumBGPPeerConfig: `cilium.io/MissingAuthSecret`. */
export const peerConfigConditions = (
  peerConfig: KubeObject,
  secretNames: ReadonlySet<string>,
  secretsNamespace: string,
): { type: string; status: 'True' | 'False'; reason: string; message: string }[] => {
  const ref = typeof peerConfig.spec?.authSecretRef === 'string' && peerConfig.spec.authSecretRef ? (peerConfig.spec.authSecretRef as string) : undefined;
  const missing = ref !== undefined && !secretNames.has(ref);
  return [
    {
      type: 'cilium.io/MissingAuthSecret',
      status: missing ? 'True' : 'False',
      reason: 'MissingAuthSecret',
      message: missing ? `Referenced Auth Secret "${ref}" is missing in namespace ${secretsNamespace}: peers using this PeerConfig are not started` : '',
    },
  ];
};
