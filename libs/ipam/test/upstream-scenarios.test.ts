import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, decide, parseAddress, parseCidr, type IpamConfig } from '../src';
import { Fixture, snapshot, type PoolDef, type SvcDef } from './fixture';

/**
 * Cilium's LB IPAM acceptance cases (operator/pkg/lbipam/*_test.go, listed in
 * shared/reference/notes/lbipam-l2.md §1.12) as data: each scenario is a list of steps —
 * apply/delete a pool or a Service — and the outcome expected after the step.
 */

type Cond = 'True' | 'none' | { status: 'False'; reason: string; message?: string | RegExp };

interface SvcExpect {
  /** Exact addresses, lowest first. */
  ips?: string[];
  /** Or just how many, of which family, inside which prefix, not equal to an earlier one. */
  count?: number;
  family?: 'IPv4' | 'IPv6';
  within?: string;
  notIn?: string[];
  /** Remember the (single) address under a name, for `sameAs` / `notIn` later. */
  save?: string;
  sameAs?: string;
  condition?: Cond;
}

interface Expect {
  svc?: Record<string, SvcExpect>;
  pool?: Record<string, { conflicting?: boolean; conflictMessage?: RegExp; counts?: { total: string; available: string; used: string } }>;
  /** Released in this step: `ip` (or saved name) → reason. */
  released?: Record<string, string>;
  held?: Record<string, boolean>;
}

type Step =
  | { pool: PoolDef; expect?: Expect }
  | { deletePool: string; expect?: Expect }
  | { svc: SvcDef; expect?: Expect }
  | { deleteSvc: string; expect?: Expect };

interface Scenario {
  name: string;
  config?: Partial<IpamConfig>;
  steps: Step[];
}

const T1330 = '2022-10-16T13:30:00Z';
const v4 = (name: string, extra: Partial<SvcDef> = {}): SvcDef => ({ name, ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'], ...extra });

const inPrefix = (ip: string, prefix: string): boolean => {
  const r = parseCidr(prefix)!;
  const a = parseAddress(ip)!;
  return a.family === r.family && r.from <= a.value && a.value <= r.to;
};

const scenarios: Scenario[] = [
  // --- A. Pools and conflicts ------------------------------------------------------------------
  {
    name: 'A1 ConflictResolution: the newer pool conflicts and all its ranges stop; it recovers when the overlap goes',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }] } },
      {
        pool: { name: 'pool-b', blocks: [{ cidr: '10.0.10.0/24' }, { cidr: 'FF::0/48' }], created: T1330 },
        expect: {
          pool: {
            'pool-a': { conflicting: false },
            'pool-b': { conflicting: true, conflictMessage: /^Pool conflicts since range '10\.0\.10\.0 - 10\.0\.10\.255' overlaps range '10\.0\.10\.0 - 10\.0\.10\.255' from IP Pool 'pool-a'$/ },
          },
        },
      },
      // The IPv6 block of pool-b overlaps nothing, yet it is disabled with the rest of the pool.
      { svc: { name: 'v6', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv6'] }, expect: { svc: { 'default/v6': { count: 0, condition: { status: 'False', reason: 'no_pool' } } } } },
      {
        pool: { name: 'pool-b', blocks: [{ cidr: 'FF::0/48' }], created: T1330 },
        expect: { pool: { 'pool-b': { conflicting: false } }, svc: { 'default/v6': { count: 1, family: 'IPv6', within: 'ff::/48', condition: 'True' } } },
      },
    ],
  },
  {
    name: 'A2 PoolInternalConflict: two blocks of one pool overlap',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }, { cidr: '10.0.10.64/28' }] }, expect: { pool: { 'pool-a': { conflicting: true, conflictMessage: /from IP Pool 'pool-a'/ } } } },
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }] }, expect: { pool: { 'pool-a': { conflicting: false } } } },
    ],
  },
  // --- B. Allocation and lifecycle -------------------------------------------------------------
  {
    name: 'B5 AllocHappyPath: one address of the requested family; switching family swaps it',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }, { cidr: 'FF::0/48' }] } },
      { svc: v4('svc-a'), expect: { svc: { 'default/svc-a': { count: 1, family: 'IPv4', condition: 'True', save: 'x' } } } },
      {
        svc: { name: 'svc-a', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv6'] },
        expect: { svc: { 'default/svc-a': { count: 1, family: 'IPv6', condition: 'True' } }, released: { x: 'family_not_requested' } },
      },
      { svc: v4('svc-a'), expect: { svc: { 'default/svc-a': { count: 1, family: 'IPv4', condition: 'True' } } } },
    ],
  },
  {
    name: 'B6 ServiceDelete: the address is free again',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }] } },
      { svc: v4('svc-a'), expect: { svc: { 'default/svc-a': { count: 1, save: 'x' } }, pool: { 'pool-a': { counts: { total: '256', available: '253', used: '3' } } } } },
      { deleteSvc: 'default/svc-a', expect: { released: { x: 'service_deleted' }, pool: { 'pool-a': { counts: { total: '256', available: '254', used: '2' } } } } },
    ],
  },
  {
    name: 'B7 ReallocOnInit: an ingress outside every pool is replaced',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }] } },
      { svc: v4('svc-a', { ingress: ['192.168.1.12'] }), expect: { svc: { 'default/svc-a': { count: 1, family: 'IPv4', within: '10.0.10.0/24', condition: 'True' } } } },
    ],
  },
  {
    name: 'B8 AllocOnInit: valid existing ingress addresses are kept (adopted)',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }] } },
      { svc: v4('svc-a', { ingress: ['10.0.10.123'] }), expect: { svc: { 'default/svc-a': { ips: ['10.0.10.123'], condition: 'True' } } } },
      { svc: v4('svc-b', { loadBalancerIP: '10.0.10.124', ingress: ['10.0.10.124'] }), expect: { svc: { 'default/svc-b': { ips: ['10.0.10.124'], condition: 'True' } } } },
    ],
  },
  {
    name: 'B9 AllocSharedOnInit: two Services with one sharing key keep their common ingress',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }] } },
      { svc: v4('svc-a', { annotations: { 'lbipam.cilium.io/sharing-key': 'key-1' }, ingress: ['10.0.10.123'] }) },
      {
        svc: v4('svc-b', { annotations: { 'lbipam.cilium.io/sharing-key': 'key-1' }, ingress: ['10.0.10.123'] }),
        expect: { svc: { 'default/svc-a': { ips: ['10.0.10.123'] }, 'default/svc-b': { ips: ['10.0.10.123'], condition: 'True' } } },
      },
    ],
  },
  {
    name: 'B10 ChangeServiceType: leaving LoadBalancer frees the address and removes the condition',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }] } },
      { svc: v4('svc-a', { type: 'ClusterIP' }), expect: { svc: { 'default/svc-a': { count: 0, condition: 'none' } } } },
      { svc: v4('svc-a'), expect: { svc: { 'default/svc-a': { count: 1, family: 'IPv4', condition: 'True', save: 'x' } } } },
      { svc: v4('svc-a', { type: 'NodePort' }), expect: { svc: { 'default/svc-a': { count: 0, condition: 'none' } }, released: { x: 'service_not_load_balancer' }, held: { x: false } } },
    ],
  },
  {
    name: 'B11 DisablePool: existing allocations stay, new ones wait until it is enabled again',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }] } },
      { svc: v4('svc-a'), expect: { svc: { 'default/svc-a': { count: 1, save: 'a' } } } },
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }], disabled: true }, expect: { svc: { 'default/svc-a': { count: 1, sameAs: 'a' } } } },
      { svc: v4('svc-b'), expect: { svc: { 'default/svc-b': { count: 0, condition: { status: 'False', reason: 'no_pool' } } } } },
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }], disabled: false }, expect: { svc: { 'default/svc-b': { count: 1, condition: 'True' }, 'default/svc-a': { sameAs: 'a' } } } },
    ],
  },
  {
    name: 'B12 AddPool: a requested address outside every pool is served when a pool appears',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }] } },
      {
        svc: v4('svc-a', { loadBalancerIP: '10.0.20.10' }),
        expect: { svc: { 'default/svc-a': { count: 0, condition: { status: 'False', reason: 'no_pool', message: "No pool exists with a CIDR containing '10.0.20.10'" } } } },
      },
      { pool: { name: 'pool-b', blocks: [{ cidr: '10.0.20.0/24' }] }, expect: { svc: { 'default/svc-a': { ips: ['10.0.20.10'], condition: 'True' } } } },
    ],
  },
  {
    name: 'B13 AddRange: the same when the block is added to the existing pool',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }] } },
      { svc: v4('svc-a', { loadBalancerIP: '10.0.20.10' }), expect: { svc: { 'default/svc-a': { count: 0 } } } },
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }, { cidr: '10.0.20.0/24' }] }, expect: { svc: { 'default/svc-a': { ips: ['10.0.20.10'], condition: 'True' } } } },
    ],
  },
  {
    name: 'B14 PoolDelete: the Service moves to the other pool',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }] } },
      { pool: { name: 'pool-b', blocks: [{ cidr: '10.0.20.0/24' }] } },
      // Same creation time: by name, pool-a first; lowest free address (.0 is reserved).
      { svc: v4('svc-a'), expect: { svc: { 'default/svc-a': { ips: ['10.0.10.1'] } } } },
      { deletePool: 'pool-a', expect: { svc: { 'default/svc-a': { ips: ['10.0.20.1'], condition: 'True' } }, released: { '10.0.10.1': 'pool_deleted' } } },
    ],
  },
  {
    name: 'B15 RangeDelete: widening keeps the address; removing its block moves it',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }] } },
      { svc: v4('svc-a'), expect: { svc: { 'default/svc-a': { count: 1, within: '10.0.10.0/24', save: 'x' } } } },
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }, { cidr: '10.0.20.0/24' }] }, expect: { svc: { 'default/svc-a': { sameAs: 'x' } } } },
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.20.0/24' }] }, expect: { svc: { 'default/svc-a': { count: 1, within: '10.0.20.0/24', condition: 'True' } }, released: { x: 'range_removed' } } },
    ],
  },
  {
    name: 'B16 AllowFirstLastIPs: "Yes" hands out the first address of a CIDR',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.16/30' }], allowFirstLastIPs: 'Yes' } },
      { svc: v4('svc-a', { loadBalancerIP: '10.0.10.16' }), expect: { svc: { 'default/svc-a': { ips: ['10.0.10.16'], condition: 'True' } } } },
    ],
  },
  {
    name: 'B17 UpdateAllowFirstAndLastIPs: "No" refuses the first address; switching to "Yes" serves it',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.16/30' }], allowFirstLastIPs: 'No' } },
      { svc: v4('svc-a', { loadBalancerIP: '10.0.10.16' }), expect: { svc: { 'default/svc-a': { count: 0, condition: { status: 'False', reason: 'already_allocated', message: /reserved/ } } } } },
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.16/30' }], allowFirstLastIPs: 'Yes' }, expect: { svc: { 'default/svc-a': { ips: ['10.0.10.16'], condition: 'True' } } } },
    ],
  },
  {
    name: 'B18 RequestReservedFirstLastIPWithSharingKey (#48779): denied, no crash',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.16/30' }], allowFirstLastIPs: 'No' } },
      {
        svc: v4('svc-a', { loadBalancerIP: '10.0.10.16', annotations: { 'io.cilium/lb-ipam-sharing-key': 'key-1' } }),
        expect: { svc: { 'default/svc-a': { count: 0, condition: { status: 'False', reason: 'already_allocated' } } } },
      },
    ],
  },
  {
    name: 'B19 RequestIPs: loadBalancerIP and the ips annotation merge; a taken address without a key is refused',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }] } },
      { svc: v4('svc-a', { loadBalancerIP: '10.0.10.20' }), expect: { svc: { 'default/svc-a': { ips: ['10.0.10.20'] } } } },
      {
        svc: v4('svc-b', { loadBalancerIP: '10.0.10.21', annotations: { 'io.cilium/lb-ipam-ips': '10.0.10.22,10.0.10.23' } }),
        expect: { svc: { 'default/svc-b': { ips: ['10.0.10.21', '10.0.10.22', '10.0.10.23'], condition: 'True' } } },
      },
      {
        svc: v4('svc-c', { loadBalancerIP: '10.0.10.21' }),
        expect: { svc: { 'default/svc-c': { count: 0, condition: { status: 'False', reason: 'already_allocated', message: "The IP '10.0.10.21' is already allocated to another service" } } } },
      },
    ],
  },
  {
    name: 'B20 RemoveRequestedIP: dropping an address from the request frees it',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }] } },
      {
        svc: v4('svc-a', { loadBalancerIP: '10.0.10.123', annotations: { 'lbipam.cilium.io/ips': '10.0.10.124,10.0.10.125' } }),
        expect: { svc: { 'default/svc-a': { ips: ['10.0.10.123', '10.0.10.124', '10.0.10.125'] } } },
      },
      {
        svc: v4('svc-a', { loadBalancerIP: '10.0.10.123', annotations: { 'lbipam.cilium.io/ips': '10.0.10.124' } }),
        expect: { svc: { 'default/svc-a': { ips: ['10.0.10.123', '10.0.10.124'], condition: 'True' } }, released: { '10.0.10.125': 'ip_not_requested' }, held: { '10.0.10.125': false } },
      },
    ],
  },
  {
    name: 'B21 RequestIPWithMismatchedLabel: pool_selector_mismatch',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }], selector: { matchLabels: { color: 'blue' } } } },
      {
        svc: v4('svc-a', { labels: { color: 'red' }, loadBalancerIP: '10.0.10.123' }),
        expect: {
          svc: { 'default/svc-a': { count: 0, condition: { status: 'False', reason: 'pool_selector_mismatch', message: "The pool with the CIDR containing '10.0.10.123', doesn't select this service" } } },
        },
      },
    ],
  },
  {
    name: 'B22 PoolSelectorBasic',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }], selector: { matchLabels: { color: 'red' } } } },
      { svc: v4('red', { labels: { color: 'red' } }), expect: { svc: { 'default/red': { count: 1, family: 'IPv4', condition: 'True' } } } },
      {
        svc: v4('blue', { labels: { color: 'blue' } }),
        expect: { svc: { 'default/blue': { count: 0, condition: { status: 'False', reason: 'no_pool', message: 'There are no enabled CiliumLoadBalancerIPPools that match this service' } } } },
      },
    ],
  },
  {
    name: 'B23 PoolSelectorNamespace: the injected namespace label cannot be faked',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }], selector: { matchLabels: { 'io.kubernetes.service.namespace': 'tenant-one' } } } },
      { svc: v4('svc-a', { ns: 'tenant-one' }), expect: { svc: { 'tenant-one/svc-a': { count: 1, condition: 'True' } } } },
      {
        svc: v4('svc-b', { ns: 'tenant-two', labels: { 'io.kubernetes.service.namespace': 'tenant-one' } }),
        expect: { svc: { 'tenant-two/svc-b': { count: 0, condition: { status: 'False', reason: 'no_pool' } } } },
      },
    ],
  },
  {
    name: 'B24 RemoveServiceLabel: a relabelled Service loses its address',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }], selector: { matchLabels: { color: 'blue' } } } },
      { svc: v4('svc-a', { labels: { color: 'blue' } }), expect: { svc: { 'default/svc-a': { count: 1, save: 'x' } } } },
      { svc: v4('svc-a', { labels: { color: 'green' } }), expect: { svc: { 'default/svc-a': { count: 0, condition: { status: 'False', reason: 'no_pool' } } }, released: { x: 'pool_selector_mismatch' } } },
    ],
  },
  {
    name: 'B25 ChangePoolSelector: Services the pool no longer selects lose their address',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }], selector: { matchLabels: { color: 'red' } } } },
      { svc: v4('svc-a', { labels: { color: 'red' } }), expect: { svc: { 'default/svc-a': { count: 1, save: 'x' } } } },
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }], selector: { matchLabels: { color: 'green' } } }, expect: { svc: { 'default/svc-a': { count: 0 } }, released: { x: 'pool_selector_mismatch' } } },
    ],
  },
  {
    name: 'B26 NonMatchingLBClass: another class is left alone, without a condition',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }] } },
      { svc: v4('svc-a', { loadBalancerClass: 'net.example/some-other-class' }), expect: { svc: { 'default/svc-a': { count: 0, condition: 'none' } } } },
    ],
  },
  {
    name: 'B27 RequiredLBClass: with class-less Services off, only the handled class gets an address',
    config: { handleClasslessServices: false, loadBalancerClasses: ['io.cilium/bgp-control-plane'] },
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }] } },
      { svc: v4('svc-a'), expect: { svc: { 'default/svc-a': { count: 0, condition: 'none' } } } },
      { svc: v4('svc-a', { loadBalancerClass: 'io.cilium/bgp-control-plane' }), expect: { svc: { 'default/svc-a': { count: 1, condition: 'True' } } } },
    ],
  },
  // --- C. Sharing --------------------------------------------------------------------------------
  {
    name: 'C29 SharingKey: a key spans a set of addresses; an address is free only when its last Service leaves',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }] } },
      { svc: v4('a', { annotations: { 'lbipam.cilium.io/sharing-key': 'key-a' } }), expect: { svc: { 'default/a': { count: 1, save: 'X' } } } },
      { svc: v4('b', { annotations: { 'lbipam.cilium.io/sharing-key': 'key-a' } }), expect: { svc: { 'default/b': { sameAs: 'X', condition: 'True' } } } },
      { svc: v4('c', { annotations: { 'lbipam.cilium.io/sharing-key': 'key-b' }, ports: [80] }), expect: { svc: { 'default/c': { count: 1, notIn: ['X'], save: 'Y' } } } },
      { deleteSvc: 'default/a', expect: { held: { X: true } } },
      { deleteSvc: 'default/b', expect: { held: { X: false } } },
      { svc: v4('a', { annotations: { 'lbipam.cilium.io/sharing-key': 'key-b' }, ports: [80] }), expect: { svc: { 'default/a': { count: 1, notIn: ['Y'], save: 'Z' } } } },
      { svc: v4('b', { annotations: { 'lbipam.cilium.io/sharing-key': 'key-b' }, ports: [81] }), expect: { svc: { 'default/b': { sameAs: 'Y' } } } },
      { deleteSvc: 'default/c', expect: { held: { Y: true }, svc: { 'default/b': { sameAs: 'Y' } } } },
      { deleteSvc: 'default/b', expect: { held: { Y: false } } },
    ],
  },
  {
    name: 'C30 SharedServiceUpdatedSharingKey: the Service that changed its key moves',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }] } },
      { svc: v4('a', { annotations: { 'lbipam.cilium.io/sharing-key': 'key-1' }, ports: [80] }), expect: { svc: { 'default/a': { save: 'X' } } } },
      { svc: v4('b', { annotations: { 'lbipam.cilium.io/sharing-key': 'key-1' }, ports: [81] }), expect: { svc: { 'default/b': { sameAs: 'X' } } } },
      {
        svc: v4('b', { annotations: { 'lbipam.cilium.io/sharing-key': 'key-2' }, ports: [81] }),
        expect: { svc: { 'default/b': { count: 1, notIn: ['X'], condition: 'True' }, 'default/a': { sameAs: 'X' } }, released: { X: 'sharing_incompatible' } },
      },
    ],
  },
  {
    name: 'C31 SharedServiceUpdatedPorts: the Service whose port now clashes moves',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }] } },
      { svc: v4('a', { annotations: { 'lbipam.cilium.io/sharing-key': 'key-1' }, ports: [80] }), expect: { svc: { 'default/a': { save: 'X' } } } },
      { svc: v4('b', { annotations: { 'lbipam.cilium.io/sharing-key': 'key-1' }, ports: [81] }), expect: { svc: { 'default/b': { sameAs: 'X' } } } },
      { svc: v4('b', { annotations: { 'lbipam.cilium.io/sharing-key': 'key-1' }, ports: [80] }), expect: { svc: { 'default/b': { count: 1, notIn: ['X'] }, 'default/a': { sameAs: 'X' } } } },
    ],
  },
  {
    name: 'C32 RegressionSharedKeyReaddBug: a re-added Service rejoins its address',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }] } },
      { svc: v4('a', { annotations: { 'lbipam.cilium.io/sharing-key': 'key-a' } }), expect: { svc: { 'default/a': { save: 'X' } } } },
      { svc: v4('b', { annotations: { 'lbipam.cilium.io/sharing-key': 'key-a' } }), expect: { svc: { 'default/b': { sameAs: 'X' } } } },
      { deleteSvc: 'default/b', expect: { held: { X: true } } },
      { svc: v4('b', { annotations: { 'lbipam.cilium.io/sharing-key': 'key-a' } }), expect: { svc: { 'default/b': { sameAs: 'X' } }, held: { X: true } } },
    ],
  },
  {
    name: 'C33 SharingCrossNamespace: both Services must allow each other',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }] } },
      {
        svc: v4('a', { ns: 'ns-a', annotations: { 'lbipam.cilium.io/sharing-key': 'key-a', 'lbipam.cilium.io/sharing-cross-namespace': 'ns-b' } }),
        expect: { svc: { 'ns-a/a': { save: 'X' } } },
      },
      { svc: v4('b', { ns: 'ns-b', annotations: { 'lbipam.cilium.io/sharing-key': 'key-a', 'lbipam.cilium.io/sharing-cross-namespace': '*' } }), expect: { svc: { 'ns-b/b': { sameAs: 'X' } } } },
      { svc: v4('c', { ns: 'ns-c', annotations: { 'lbipam.cilium.io/sharing-key': 'key-a' }, ports: [80] }), expect: { svc: { 'ns-c/c': { count: 1, notIn: ['X'] } } } },
    ],
  },
  {
    name: 'C34 SharedServicesUpdateSharingKeyAndRequestedIP: a Service moves to another shared address',
    steps: [
      { pool: { name: 'pool-a', blocks: [{ cidr: '10.0.10.0/24' }] } },
      { svc: v4('a', { loadBalancerIP: '10.0.10.22', annotations: { 'lbipam.cilium.io/sharing-key': 'key-1' }, ports: [80] }) },
      { svc: v4('b', { loadBalancerIP: '10.0.10.33', annotations: { 'lbipam.cilium.io/sharing-key': 'key-2' }, ports: [81] }) },
      { svc: v4('c', { loadBalancerIP: '10.0.10.33', annotations: { 'lbipam.cilium.io/sharing-key': 'key-2' }, ports: [82] }), expect: { svc: { 'default/b': { ips: ['10.0.10.33'] }, 'default/c': { ips: ['10.0.10.33'] } } } },
      {
        svc: v4('c', { loadBalancerIP: '10.0.10.22', annotations: { 'lbipam.cilium.io/sharing-key': 'key-1' }, ports: [82] }),
        expect: { svc: { 'default/a': { ips: ['10.0.10.22'] }, 'default/b': { ips: ['10.0.10.33'] }, 'default/c': { ips: ['10.0.10.22'], condition: 'True' } } },
      },
    ],
  },
];

const run = (s: Scenario): void => {
  const f = new Fixture({ ...DEFAULT_CONFIG, ...s.config });
  const saved = new Map<string, string>();
  const ipOf = (nameOrIp: string): string => saved.get(nameOrIp) ?? nameOrIp;
  s.steps.forEach((step, i) => {
    const where = `${s.name}, step ${i + 1}`;
    if ('pool' in step) f.applyPool(step.pool);
    else if ('deletePool' in step) f.deletePool(step.deletePool);
    else if ('svc' in step) f.applyService(step.svc);
    else {
      const [ns, name] = step.deleteSvc.split('/');
      f.deleteService(ns!, name!);
    }
    const e = step.expect;
    if (!e) return;
    for (const [key, x] of Object.entries(e.svc ?? {})) {
      const [ns, name] = key.split('/') as [string, string];
      const ips = f.ips(ns, name);
      const ctx = `${where}: ${key} has ${JSON.stringify(ips)}`;
      if (x.ips) expect(ips, ctx).toEqual(x.ips);
      if (x.count !== undefined) expect(ips.length, ctx).toBe(x.count);
      if (x.family) for (const ip of ips) expect(ip.includes(':') ? 'IPv6' : 'IPv4', ctx).toBe(x.family);
      if (x.within) for (const ip of ips) expect(inPrefix(ip, x.within), `${ctx} within ${x.within}`).toBe(true);
      if (x.notIn) for (const n of x.notIn) expect(ips, `${ctx}, not ${n}=${ipOf(n)}`).not.toContain(ipOf(n));
      if (x.sameAs) expect(ips, `${ctx}, same as ${x.sameAs}`).toEqual([ipOf(x.sameAs)]);
      if (x.save) {
        expect(ips.length, ctx).toBe(1);
        saved.set(x.save, ips[0]!);
      }
      if (x.condition !== undefined) {
        const c = f.condition(ns, name);
        if (x.condition === 'none') expect(c, ctx).toBeNull();
        else if (x.condition === 'True') expect(c, ctx).toMatchObject({ status: 'True', reason: 'satisfied', message: '' });
        else {
          expect(c, ctx).toMatchObject({ status: 'False', reason: x.condition.reason });
          if (typeof x.condition.message === 'string') expect(c!.message, ctx).toBe(x.condition.message);
          else if (x.condition.message) expect(c!.message, ctx).toMatch(x.condition.message);
        }
      }
    }
    for (const [pool, x] of Object.entries(e.pool ?? {})) {
      const p = f.state.pools.get(pool)!;
      const reported = p.report.conflict;
      if (x.conflicting !== undefined) expect(reported?.conflicting, `${where}: ${pool} conflicting`).toBe(x.conflicting);
      if (x.conflictMessage) expect(reported && reported.conflicting ? reported.message : '', where).toMatch(x.conflictMessage);
      if (x.counts) {
        expect(f.counts(pool), where).toEqual(x.counts);
        expect(p.report.status, `${where}: reported counts`).toMatchObject(x.counts);
      }
    }
    for (const [ipName, reason] of Object.entries(e.released ?? {})) {
      const ip = ipOf(ipName);
      const rel = f.last.filter((ev) => ev.type === 'ipam.LoadBalancerIPReleased' && ev.data.ip === ip);
      expect(rel.length, `${where}: ${ip} released`).toBeGreaterThan(0);
      for (const r of rel) if (r.type === 'ipam.LoadBalancerIPReleased') expect(r.data.reason, where).toBe(reason);
    }
    for (const [ipName, held] of Object.entries(e.held ?? {})) expect(f.isHeld(ipOf(ipName)), `${where}: ${ipOf(ipName)} held`).toBe(held);
  });
  // Replaying the log gives the same state, with nothing left to decide.
  const replayed = f.replay();
  expect(snapshot(replayed), `${s.name}: replay`).toBe(snapshot(f.state));
  expect(snapshot(f.replay({ byStream: true })), `${s.name}: replay by stream`).toBe(snapshot(f.state));
  expect(decide({ type: 'ReconcileAll' }, replayed)).toEqual([]);
};

describe('LB IPAM: Cilium upstream scenarios', () => {
  for (const s of scenarios) it(s.name, () => run(s));
});
