/** Messages between an announcer and the capture process of one of its interfaces. */

/** Announcer → capture process. */
export type PortCommand =
  /**
   * Answer for these addresses (and, with `announce`, send gratuitous ARP / unsolicited NA now
   * and again at `gratuitousScheduleMs`).
   */
  | { readonly t: 'add'; readonly addresses: readonly string[]; readonly announce: boolean }
  | { readonly t: 'remove'; readonly addresses: readonly string[] }
  /** Answer only until this CLOCK_MONOTONIC time (ms): the holder's self-fence, refreshed on every renewal. */
  | { readonly t: 'fence'; readonly until: number }
  | { readonly t: 'stats' };

export interface PortStats {
  /** ARP replies and solicited neighbour advertisements sent. */
  readonly repliesSent: number;
  /** Gratuitous ARP frames and unsolicited neighbour advertisements sent. */
  readonly gratuitousSent: number;
  /** Requests for one of our addresses left unanswered because the fence had passed. */
  readonly fencedDrops: number;
  /** Frames from another MAC claiming one of our addresses (gratuitous ARP, reply or NA). */
  readonly conflictsSeen: number;
  readonly framesSeen: number;
  readonly decodeErrors: number;
}

/** Capture process → announcer. */
export type PortReport =
  | { readonly t: 'ready'; readonly ifname: string; readonly mac: string }
  /** The first gratuitous burst for a newly added address went out (epoch ms). */
  | { readonly t: 'announced'; readonly address: string; readonly at: number; readonly frames: number }
  | ({ readonly t: 'stats' } & PortStats)
  | { readonly t: 'conflict'; readonly address: string; readonly mac: string; readonly kind: string }
  | { readonly t: 'error'; readonly message: string };

/** Default repeat schedule of gratuitous announcements after a takeover (ms after the first). */
export const DEFAULT_GRATUITOUS_SCHEDULE_MS: readonly number[] = [0, 250, 750, 1500, 3000];
