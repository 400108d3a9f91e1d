import type { Prefix } from './address.js';

/** The message model the codec decodes into and encodes from. */

export type Origin = 'igp' | 'egp' | 'incomplete';

export type AsPathSegmentKind = 'set' | 'sequence' | 'confed-sequence' | 'confed-set';
export interface AsPathSegment {
  readonly type: AsPathSegmentKind;
  readonly asns: readonly number[];
}

/** RFC 8092 large community: global administrator, local data part 1, local data part 2. */
export type LargeCommunity = readonly [number, number, number];

/** Address family identifier pair (AFI/SAFI numbers). */
export interface AfiSafi {
  readonly afi: number;
  readonly safi: number;
}

export interface MpReach extends AfiSafi {
  /** Next hop addresses in text (IPv6 global, then link-local when 32 octets). */
  readonly nextHops: readonly string[];
  readonly nlri: readonly Prefix[];
}

export interface MpUnreach extends AfiSafi {
  readonly withdrawn: readonly Prefix[];
}

export interface UnknownAttribute {
  readonly flags: number;
  readonly type: number;
  readonly value: Uint8Array;
}

/** Path attributes of an UPDATE (RFC 4271 §5 and extensions). Absent = not present. */
export interface PathAttributes {
  readonly origin?: Origin;
  readonly asPath?: readonly AsPathSegment[];
  readonly nextHop?: string;
  readonly med?: number;
  readonly localPreference?: number;
  readonly atomicAggregate?: boolean;
  readonly aggregator?: { readonly asn: number; readonly address: string };
  /** RFC 1997 communities as u32 values. */
  readonly communities?: readonly number[];
  readonly originatorId?: string;
  readonly clusterList?: readonly string[];
  readonly extendedCommunities?: readonly Uint8Array[];
  readonly as4Path?: readonly AsPathSegment[];
  readonly as4Aggregator?: { readonly asn: number; readonly address: string };
  readonly largeCommunities?: readonly LargeCommunity[];
  readonly mpReach?: MpReach;
  readonly mpUnreach?: MpUnreach;
  /** Optional attributes this speaker does not interpret. */
  readonly unknown?: readonly UnknownAttribute[];
}

export type Capability =
  | { readonly kind: 'multiprotocol'; readonly afi: number; readonly safi: number }
  | { readonly kind: 'route-refresh' }
  | { readonly kind: 'enhanced-route-refresh' }
  | { readonly kind: 'four-octet-as'; readonly asn: number }
  | {
      readonly kind: 'graceful-restart';
      /** R bit: the sender has restarted. */
      readonly restartState: boolean;
      /** N bit (RFC 8538): graceful restart also for NOTIFICATIONs other than Hard Reset. */
      readonly notification: boolean;
      readonly restartTimeSeconds: number;
      readonly families: readonly { readonly afi: number; readonly safi: number; readonly forwardingPreserved: boolean }[];
    }
  | { readonly kind: 'extended-next-hop'; readonly entries: readonly { readonly afi: number; readonly safi: number; readonly nextHopAfi: number }[] }
  | { readonly kind: 'unknown'; readonly code: number; readonly value: Uint8Array };

export interface OpenMessage {
  readonly type: 'open';
  readonly version: number;
  /** The 2-octet "My Autonomous System" field (AS_TRANS when the real ASN needs 4 octets). */
  readonly myAS: number;
  readonly holdTimeSeconds: number;
  readonly bgpIdentifier: string;
  readonly capabilities: readonly Capability[];
}

/** RFC 7606 outcome of an UPDATE whose NLRI had to be treated as withdrawn. */
export interface TreatAsWithdraw {
  readonly subcode: number;
  readonly reason: string;
}

export interface UpdateMessage {
  readonly type: 'update';
  /** IPv4 unicast withdrawn routes (classic encoding). */
  readonly withdrawn: readonly Prefix[];
  readonly attributes: PathAttributes;
  /** IPv4 unicast NLRI (classic encoding). */
  readonly nlri: readonly Prefix[];
  /**
   * Set when an attribute error makes the message "treat-as-withdraw" (RFC 7606 §2): every prefix
   * it announces (NLRI and MP_REACH_NLRI) must be handled as withdrawn. `routeChanges()` does that.
   */
  readonly treatAsWithdraw?: TreatAsWithdraw;
  /** Attributes discarded under RFC 7606 "attribute discard", for logging. */
  readonly discarded?: readonly string[];
}

export interface NotificationMessage {
  readonly type: 'notification';
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
}

export interface KeepaliveMessage {
  readonly type: 'keepalive';
}

export interface RouteRefreshMessage {
  readonly type: 'route-refresh';
  readonly afi: number;
  readonly safi: number;
  /** RFC 7313 message subtype: 0 normal, 1 BoRR, 2 EoRR. */
  readonly subtype: number;
}

export type BgpMessage = OpenMessage | UpdateMessage | NotificationMessage | KeepaliveMessage | RouteRefreshMessage;

/** A protocol error to be reported with a NOTIFICATION (code, subcode, data) and why. */
export interface BgpError {
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
  readonly reason: string;
}
