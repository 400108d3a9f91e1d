/**
 * The contract between the API and resource admission (validation + defaulting + conversion).
 * A rejected object becomes a Kubernetes `Status` with code 422, reason `Invalid`, and one
 * `details.causes[]` entry per bad field — as kube-apiserver does.
 */

/** Kubernetes' field error types (k8s.io/apimachinery/pkg/util/validation/field). */
export type CauseReason =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueTypeInvalid'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueNotFound'
  | 'FieldValueUnknown';

export interface StatusCause {
  /** Field path as kube-apiserver prints it: `spec.blocks[0].cidr`, `metadata.name`. */
  readonly field: string;
  readonly reason: CauseReason;
  readonly message: string;
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface AdmitOptions {
  readonly operation: 'create' | 'update';
  /** The stored object (storage version) on update. */
  readonly old?: Record<string, unknown>;
  /** Unknown fields: reject (Strict), drop with a warning (Warn, the default), drop silently (Ignore). */
  readonly fieldValidation?: FieldValidation;
  /** IP families the cluster serves, primary first, for Service `ipFamilies` defaulting. Default `['IPv4']`. */
  readonly clusterIPFamilies?: readonly ('IPv4' | 'IPv6')[];
}

export type AdmitResult =
  | {
      readonly ok: true;
      /** Defaulted, validated, converted to the kind's storage version. */
      readonly object: Record<string, unknown>;
      /** Sent to clients as `Warning:` headers. */
      readonly warnings: readonly string[];
    }
  | {
      readonly ok: false;
      readonly causes: readonly StatusCause[];
    };
