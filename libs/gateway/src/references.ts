import type { ReferenceGrant } from './types';

export interface ReferenceFrom {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
}

export interface ReferenceTo {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/**
 * Whether a reference may be followed: same-namespace references always may; a cross-namespace
 * one needs a ReferenceGrant in the target's namespace whose `from` names the referrer's
 * group/kind/namespace and whose `to` names the target's group/kind (and name, when it gives one).
 * Grants only add permissions, so any one grant suffices.
 */
export const referenceAllowed = (grants: readonly ReferenceGrant[], from: ReferenceFrom, to: ReferenceTo): boolean => {
  if (from.namespace === to.namespace) return true;
  return grants.some(
    (g) =>
      g.metadata.namespace === to.namespace &&
      (g.spec?.from ?? []).some((f) => f.group === from.group && f.kind === from.kind && f.namespace === from.namespace) &&
      (g.spec?.to ?? []).some((t) => (t.group ?? '') === to.group && t.kind === to.kind && (!t.name || t.name === to.name)),
  );
};
