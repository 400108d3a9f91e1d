/**
 * A second opinion on core kinds from kubernetes-models' bundled (ajv-compiled) validators, for
 * what the generated schemas cannot say: integer vs number, int32/int64 ranges, base64 (`byte`).
 * Their `required` errors are ignored: kube-apiserver enforces only the requirements its Go
 * validation states (core-rules.ts), not the OpenAPI ones.
 */
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Node } from 'kubernetes-models/v1/Node';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { EndpointSlice } from 'kubernetes-models/discovery.k8s.io/v1/EndpointSlice';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { FieldErrors, isObject, type JsonObject } from './structural';

interface AjvError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly params: Record<string, unknown>;
}

type ModelCtor = new (data: any) => { validate(): void };

const MODELS: Record<string, ModelCtor> = {
  '/Namespace': Namespace as unknown as ModelCtor,
  '/Node': Node as unknown as ModelCtor,
  '/Pod': Pod as unknown as ModelCtor,
  '/Secret': Secret as unknown as ModelCtor,
  '/Service': Service as unknown as ModelCtor,
  'discovery.k8s.io/EndpointSlice': EndpointSlice as unknown as ModelCtor,
  'networking.k8s.io/NetworkPolicy': NetworkPolicy as unknown as ModelCtor,
};

/** `/spec/ports/0/port` → `spec.ports[0].port`, using the object to tell list indexes from keys. */
const toFieldPath = (pointer: string, obj: JsonObject): { path: string; value: unknown } => {
  let path = '';
  let cur: unknown = obj;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      path += `[${seg}]`;
      cur = cur[Number(seg)];
    } else if (isObject(cur)) {
      const isMapKey = path.endsWith('labels') || path.endsWith('annotations') || path.endsWith('selector') || path.endsWith('data') || path.endsWith('stringData') || path.endsWith('matchLabels') || path.endsWith('nodeSelector');
      path = isMapKey ? `${path}[${seg}]` : path ? `${path}.${seg}` : seg;
      cur = cur[seg];
    } else {
      path = path ? `${path}.${seg}` : seg;
      cur = undefined;
    }
  }
  return { path, value: cur };
};

export const validateWithKubernetesModels = (gk: string, obj: JsonObject, errors: FieldErrors): void => {
  const Model = MODELS[gk];
  if (!Model) return;
  try {
    new Model(obj).validate();
  } catch (e) {
    const list = (e as { errors?: AjvError[] }).errors;
    if (!Array.isArray(list)) throw e;
    const reported = new Set(errors.list.map((c) => c.field));
    for (const err of list) {
      if (err.keyword === 'required' || err.keyword === 'enum') continue; // enums: reported by the schema walk with supported values
      const { path, value } = toFieldPath(err.instancePath, obj);
      if (reported.has(path) || path.startsWith('metadata')) continue;
      reported.add(path);
      if (err.keyword === 'type') errors.typeInvalid(path, typeof value === 'number' ? 'number' : typeof value, `${path} in body must be of type ${String(err.params.type)}: ${JSON.stringify(typeof value === 'number' ? 'number' : typeof value)}`);
      else if (err.keyword === 'format') errors.invalid(path, value, `${path} in body must be of type ${String(err.params.format)}: ${JSON.stringify(value)}`);
      else errors.invalid(path, value, `${path} in body is invalid (${err.keyword})`);
    }
  }
};
