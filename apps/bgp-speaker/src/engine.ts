import type { NodeDesiredState } from '@bosun/bgp-control-plane';
import type { PeeringState } from '@bosun/contracts';

/**
 * What the speaker needs from a BGP engine (the port the reconciler drives). The implementation
 * over `@bosun/bgp` lives in `bgp-engine.ts`; keeping the port small keeps the reconciler
 * testable and the engine replaceable.
 */

export interface EngineRouteCount {
  readonly afi: 'ipv4' | 'ipv6';
  readonly safi: 'unicast';
  readonly advertised: number;
  readonly received: number;
}

export interface EnginePeerStatus {
  /** `<instance>/<peer>` */
  readonly key: string;
  readonly instance: string;
  readonly peer: string;
  readonly peerAddress: string;
  readonly peerPort: number;
  readonly localASN: number;
  /** Configured peer AS, or the one learnt from the OPEN when configured as 0. */
  readonly peerASN: number;
  readonly state: PeeringState;
  /** ISO time the session reached Established (only while established). */
  readonly establishedAt?: string;
  readonly appliedHoldTimeSeconds?: number;
  readonly appliedKeepaliveSeconds?: number;
  readonly routeCount: readonly EngineRouteCount[];
}

export interface PeerStateChange {
  readonly status: EnginePeerStatus;
  readonly previous: PeeringState;
  /** NOTIFICATION, hold timer expiry, socket error, peer removed… */
  readonly reason?: string;
}

export interface RouterEngine {
  /**
   * Brings sessions and Adj-RIBs-Out to `desired`: peers added, removed or (for the keys in
   * `reset`) torn down and re-established; routes diffed into UPDATEs. Routes of a new peer are
   * in place before it is started, so its first UPDATE burst is complete and End-of-RIB follows.
   */
  sync(desired: NodeDesiredState, reset: ReadonlySet<string>): Promise<void>;
  status(): EnginePeerStatus[];
  onPeerState(listener: (change: PeerStateChange) => void): void;
  /** Route counts (advertised/received) changed: the status should be reported again. */
  onCountsChanged(listener: () => void): void;
  /**
   * Before the first sync: this node advertised routes before this process started (its
   * `bgp-node` stream says so), so sessions open as a restarting speaker (RFC 4724 R and F bits)
   * and routers keep our routes until End-of-RIB instead of flushing them.
   */
  setRestarting(restarting: boolean): void;
  /**
   * Stops every session. `graceful`: close TCP without NOTIFICATION, so peers with graceful
   * restart keep our routes as stale until we are back (a restart); otherwise Cease.
   */
  stop(graceful: boolean): Promise<void>;
}
