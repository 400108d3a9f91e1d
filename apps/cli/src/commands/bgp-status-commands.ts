import type { Command } from 'commander';
import { foldAdvertisedRoutes, type AdvertisedRouteRow, type KubeObject } from '@bosun/bgp-control-plane';
import { BosunClient } from '@bosun/client';
import { BGP_NODE_STREAM_PREFIX } from '@bosun/contracts';
import { createEventStore, START, type Checkpoint, type EventStore } from '@bosun/event-store';
import { peersTable, routesTable } from './bgp-tables';

/**
 * `bosun bgp routes`: the routes each node's speaker advertised, folded from the `bgp-node-*`
 * streams of the event store (the record of every Adj-RIB-Out change, with its time).
 */

const ROUTE_EVENT_TYPES = ['bgp.RouteAdvertised', 'bgp.RouteWithdrawn', 'bgp.NodeStatusReported', 'bgp.PeerStateChanged'];

export const readAdvertisedRoutes = async (store: EventStore): Promise<AdvertisedRouteRow[]> => {
  const events = [];
  let after: Checkpoint = START;
  for (;;) {
    const page = await store.readAll({ after, limit: 5000, streamPrefixes: [BGP_NODE_STREAM_PREFIX], types: ROUTE_EVENT_TYPES });
    events.push(...page.events);
    after = page.checkpoint;
    if (page.caughtUp || page.events.length === 0) break;
  }
  return foldAdvertisedRoutes(events);
};

const parseRoutesArgs = (args: readonly string[]): { kind: 'available' | 'advertised'; afi: 'ipv4' | 'ipv6'; safi: 'unicast' } => {
  const rest = [...args];
  let kind: 'available' | 'advertised' = 'available';
  if (rest[0] === 'available' || rest[0] === 'advertised') kind = rest.shift() as typeof kind;
  const afi = rest.shift() ?? 'ipv4';
  const safi = rest.shift() ?? 'unicast';
  if (afi !== 'ipv4' && afi !== 'ipv6') throw new Error(`afi: expected ipv4 or ipv6, got "${afi}"`);
  if (safi !== 'unicast') throw new Error(`safi: only unicast carries routes, got "${safi}"`);
  if (rest.length > 0) throw new Error(`unexpected arguments: ${rest.join(' ')}`);
  return { kind, afi, safi };
};

/** Adds `peers` to the `bosun bgp` command: the CiliumBGPNodeConfigs' status, through the API. */
export const registerBgpPeersCommand = (bgp: Command): void => {
  bgp
    .command('peers')
    .description('BGP sessions of every node, like `cilium bgp peers` (CiliumBGPNodeConfig status)')
    .option('--node <name>', 'only this node')
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (opts: { node?: string; output: string }) => {
      const client = new BosunClient();
      try {
        const list = await client.list<KubeObject>('ciliumbgpnodeconfigs', opts.node ? { fieldSelector: `metadata.name=${opts.node}` } : {});
        if (opts.output === 'json') process.stdout.write(`${JSON.stringify(list.items.map((o) => ({ node: o.metadata?.name, ...(o.status ?? {}) })), null, 2)}\n`);
        else process.stdout.write(peersTable(list.items));
      } finally {
        client.close();
      }
    });
};

/** Adds `routes` to the `bosun bgp` command. */
export const registerBgpRoutesCommand = (bgp: Command): void => {
  bgp
    .command('routes')
    .description('routes the BGP speakers advertise, like `cilium bgp routes` (from the bgp-node event streams)')
    .argument('[args...]', '[available|advertised] [afi] [safi]  (default: available ipv4 unicast)')
    .option('--node <name>', 'only this node')
    .option('--peer <address>', 'only routes advertised to this peer (address or name)')
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (args: string[], opts: { node?: string; peer?: string; output: string }) => {
      const parsed = parseRoutesArgs(args);
      const store = await createEventStore({ migrate: false, poolSize: 1, applicationName: 'bosun-cli' });
      try {
        const rows = await readAdvertisedRoutes(store);
        if (opts.output === 'json') {
          const selected = rows.filter((r) => r.afi === parsed.afi && (!opts.node || r.node === opts.node) && (!opts.peer || r.peerAddress === opts.peer || r.peer === opts.peer));
          process.stdout.write(`${JSON.stringify(selected, null, 2)}\n`);
        } else {
          process.stdout.write(routesTable(rows, { ...parsed, ...(opts.node ? { node: opts.node } : {}), ...(opts.peer ? { peer: opts.peer } : {}) }));
        }
      } finally {
        await store.close();
      }
    });
};

export { parseRoutesArgs };
