/** Kubernetes label selectors (`matchLabels` + `matchExpressions`), evaluated as the API server does. */
export type LabelSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelSelectorRequirement {
  key: string;
  operator: LabelSelectorOperator;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export type Labels = Readonly<Record<string, string>>;

/**
 * True when `labels` satisfy `selector`. A missing selector matches nothing unless
 * `nilMatchesAll`; an empty selector (`{}`) matches everything (Kubernetes semantics).
 */
export const selectorMatches = (selector: LabelSelector | null | undefined, labels: Labels, nilMatchesAll = false): boolean => {
  if (selector == null) return nilMatchesAll;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, req.key);
    const value = labels[req.key];
    switch (req.operator) {
      case 'In':
        if (!has || !(req.values ?? []).includes(value!)) return false;
        break;
      case 'NotIn':
        if (has && (req.values ?? []).includes(value!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default: {
        const never: never = req.operator;
        throw new Error(`unknown selector operator ${String(never)}`);
      }
    }
  }
  return true;
};
