/**
 * Gateway API hostname semantics (apis/v1/shared_types.go `Hostname`): `*` may only be the whole
 * first label and matches one or more labels, never the apex (`*.example.com` matches
 * `foo.example.com` and `foo.bar.example.com`, not `example.com`). Comparison is case-insensitive.
 */

const norm = (h: string): string => h.toLowerCase().replace(/\.$/, '');

const isWildcard = (h: string): boolean => h.startsWith('*.');

/** Does the wildcard `*.<suffix>` match the name (exact or wildcard) `h`? */
const wildcardCovers = (wildcard: string, h: string): boolean => {
  const suffix = wildcard.slice(1); // ".example.com"
  const rest = isWildcard(h) ? h.slice(1) : h;
  // h must have at least one label before the suffix; a wildcard h is covered when its own
  // suffix is the same or longer (`*.foo.example.com` ⊂ `*.example.com`).
  if (isWildcard(h)) return rest === suffix || rest.endsWith(suffix);
  return rest.length > suffix.length && rest.endsWith(suffix);
};

/**
 * Whether two hostnames (either may be a wildcard) have a name in common. An empty/absent
 * hostname matches everything.
 */
export const hostnamesIntersect = (a: string | undefined, b: string | undefined): boolean => {
  if (!a || !b) return true;
  const x = norm(a);
  const y = norm(b);
  if (x === y) return true;
  if (isWildcard(x) && wildcardCovers(x, y)) return true;
  if (isWildcard(y) && wildcardCovers(y, x)) return true;
  return false;
};

/** A route attaches to a listener only if one of its hostnames intersects the listener's (none = all). */
export const routeMatchesListenerHostname = (routeHostnames: readonly string[] | undefined, listenerHostname: string | undefined): boolean =>
  !routeHostnames || routeHostnames.length === 0 || routeHostnames.some((h) => hostnamesIntersect(h, listenerHostname));

/**
 * Two listener hostnames overlap (for `OverlappingTLSConfig`) when they are different but one
 * covers names of the other, e.g. `foo.example.com` and `*.example.com`.
 */
export const hostnamesOverlap = (a: string | undefined, b: string | undefined): boolean => {
  if (!a || !b) return false;
  const x = norm(a);
  const y = norm(b);
  return x !== y && hostnamesIntersect(x, y);
};
