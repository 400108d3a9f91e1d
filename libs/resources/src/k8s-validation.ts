/**
 * The validation helpers of k8s.io/apimachinery (util/validation, apis/meta/v1/validation,
 * api/validation), with their messages, so users see what kube-apiserver would tell them.
 */
import { FieldErrors, child, index, isCIDR, isIP, isObject, type Json } from './structural';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const tooLong = (max: number) => `must be no more than ${max} characters`;

export const isDNS1123Label = (v: string): string[] => {
  const errs: string[] = [];
  if (v.length > 63) errs.push(tooLong(63));
  if (!DNS1123_LABEL.test(v))
    errs.push("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
  return errs;
};

export const isDNS1123Subdomain = (v: string): string[] => {
  const errs: string[] = [];
  if (v.length > 253) errs.push(tooLong(253));
  if (!DNS1123_SUBDOMAIN.test(v))
    errs.push("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  return errs;
};

export const isDNS1035Label = (v: string): string[] => {
  const errs: string[] = [];
  if (v.length > 63) errs.push(tooLong(63));
  if (!DNS1035_LABEL.test(v))
    errs.push("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");
  return errs;
};

/** Label keys, annotation keys, finalizers: `[prefix/]name`. */
export const isQualifiedName = (v: string): string[] => {
  const errs: string[] = [];
  const parts = v.split('/');
  let name: string;
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else for (const m of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${m}`);
  } else {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part ${tooLong(63)}`);
  if (name.length > 0 && !QUALIFIED_NAME.test(name))
    errs.push("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
  return errs;
};

export const isValidLabelValue = (v: string): string[] => {
  const errs: string[] = [];
  if (v.length > 63) errs.push(tooLong(63));
  if (!LABEL_VALUE.test(v))
    errs.push("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  return errs;
};

/** IANA service names used as port names (IsValidPortName). */
export const isValidPortName = (v: string): string[] => {
  const errs: string[] = [];
  if (v.length > 15) errs.push(tooLong(15));
  if (!/^[-a-z0-9]+$/.test(v)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  else if (!/[a-z]/.test(v)) errs.push('must contain at least one letter (a-z)');
  if (v.includes('--')) errs.push("must not contain consecutive hyphens");
  if (v.startsWith('-') || v.endsWith('-')) errs.push("must not begin or end with a hyphen");
  return errs;
};

export const isValidPortNum = (v: number): string[] => (Number.isInteger(v) && v >= 1 && v <= 65535 ? [] : ['must be between 1 and 65535, inclusive']);

export type NameValidator = (v: string) => string[];

export const validateLabels = (labels: Json | undefined, path: string, errors: FieldErrors): void => {
  if (!isObject(labels)) return;
  for (const [k, v] of Object.entries(labels)) {
    for (const m of isQualifiedName(k)) errors.invalid(path, k, m);
    if (typeof v === 'string') for (const m of isValidLabelValue(v)) errors.invalid(path, v, m);
  }
};

const TOTAL_ANNOTATION_SIZE_LIMIT_B = 256 * 1024;

export const validateAnnotations = (annotations: Json | undefined, path: string, errors: FieldErrors): void => {
  if (!isObject(annotations)) return;
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    for (const m of isQualifiedName(k.toLowerCase())) errors.invalid(path, k, m);
    size += Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.byteLength(v) : 0);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT_B) errors.add(path, 'FieldValueTooLong', `Too long: must have at most ${TOTAL_ANNOTATION_SIZE_LIMIT_B} bytes`);
};

const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** metav1validation.ValidateLabelSelector. */
export const validateLabelSelector = (selector: Json | undefined, path: string, errors: FieldErrors): void => {
  if (!isObject(selector)) return;
  const exprs = selector.matchExpressions;
  if (Array.isArray(exprs)) {
    exprs.forEach((req, i) => {
      if (!isObject(req)) return;
      const p = index(child(path, 'matchExpressions'), i);
      const op = req.operator;
      const values = Array.isArray(req.values) ? req.values : [];
      if (op === 'In' || op === 'NotIn') {
        if (values.length === 0) errors.required(child(p, 'values'), 'must be specified when `operator` is \'In\' or \'NotIn\'');
      } else if (op === 'Exists' || op === 'DoesNotExist') {
        if (values.length > 0) errors.forbidden(child(p, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
      } else if (typeof op === 'string') {
        errors.invalid(child(p, 'operator'), op, 'not a valid selector operator');
      }
      if (typeof req.key === 'string') for (const m of isQualifiedName(req.key)) errors.invalid(child(p, 'key'), req.key, m);
      values.forEach((v, j) => {
        if (typeof v === 'string') for (const m of isValidLabelValue(v)) errors.invalid(index(child(p, 'values'), j), v, m);
      });
    });
  }
  validateLabels(selector.matchLabels, child(path, 'matchLabels'), errors);
};

export const SELECTOR_OPERATOR_VALUES = SELECTOR_OPERATORS;

export const validateIP = (value: Json | undefined, path: string, errors: FieldErrors): void => {
  if (typeof value === 'string' && !isIP(value)) errors.invalid(path, value, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
};

export const validateCIDR = (value: Json | undefined, path: string, errors: FieldErrors): void => {
  if (typeof value === 'string' && !isCIDR(value)) errors.invalid(path, value, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)');
};

/** A port given as number or IANA name (ValidatePortNumOrName). */
export const validatePortNumOrName = (value: Json | undefined, path: string, errors: FieldErrors): void => {
  if (typeof value === 'number') for (const m of isValidPortNum(value)) errors.invalid(path, value, m);
  else if (typeof value === 'string') for (const m of isValidPortName(value)) errors.invalid(path, value, m);
};
