import { createHash } from 'node:crypto';

const weight = (node: string, key: string): bigint => createHash('sha256').update(node).update('\0').update(key).digest().readBigUInt64BE(0);

/**
 * Rendezvous (highest-random-weight) order of `nodes` for `key`: every node computes the same
 * order from the same inputs, each key prefers a different node, and removing a node only moves
 * the keys it preferred. Used to spread leases: the first live candidate contends at once, the
 * others later.
 */
export const rendezvousOrder = (key: string, nodes: Iterable<string>): string[] =>
  [...new Set(nodes)]
    .map((n) => ({ n, w: weight(n, key) }))
    .sort((a, b) => (a.w === b.w ? a.n.localeCompare(b.n) : a.w > b.w ? -1 : 1))
    .map((x) => x.n);
