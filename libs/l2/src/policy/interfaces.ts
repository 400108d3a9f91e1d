import type { NodeInterface } from './types';

export class InterfaceRegexError extends Error {
  override readonly name = 'InterfaceRegexError';
  constructor(
    readonly index: number,
    readonly pattern: string,
    reason: string,
  ) {
    super(`spec.interfaces[${index}]: invalid regular expression ${JSON.stringify(pattern)}: ${reason}`);
  }
}

/**
 * Compiles `spec.interfaces` the way Cilium does (pkg/l2announcer): every entry is a regular
 * expression, matched **unanchored** against the interface name (Go's `regexp.MatchString`),
 * and the entries are OR-ed. So `eth0` also matches `veth0` and `eth01`; write `^eth0$` for one
 * interface. An empty or missing list selects every eligible interface. Cilium uses RE2; these
 * are ECMAScript expressions, which agree on the usual subset (anchors, classes, alternation,
 * repetition). Throws `InterfaceRegexError` naming the entry.
 */
export const compileInterfaceMatcher = (patterns: readonly string[] | null | undefined): ((ifname: string) => boolean) => {
  if (!patterns || patterns.length === 0) return () => true;
  const res = patterns.map((p, i) => {
    try {
      return new RegExp(p);
    } catch (e) {
      throw new InterfaceRegexError(i, p, e instanceof Error ? e.message.replace(/^Invalid regular expression: /, '') : String(e));
    }
  });
  return (ifname) => res.some((re) => re.test(ifname));
};

/**
 * Whether an interface can carry announcements at all: not loopback, not NOARP (dummy, tun),
 * not a bridge/bond port (the master carries the traffic). Link state is separate: a down link
 * is eligible but gives up its leases (see `selectAnnouncements`).
 */
export const isAnnounceableInterface = (i: NodeInterface): boolean => !i.loopback && !i.noArp && !i.hasMaster;
