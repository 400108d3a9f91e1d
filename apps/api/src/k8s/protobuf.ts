import { ApiError } from './errors';

/**
 * Decodes Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`) for the
 * built-in kinds kubectl's typed commands send that way (`kubectl create namespace`,
 * `kubectl create secret generic …`, `kubectl create service …`). The envelope is
 * `k8s\0` + runtime.Unknown{typeMeta, raw}; field numbers are those of k8s.io/api's
 * generated.proto. Other kinds answer 415 so the client can send JSON instead.
 */
type FieldType = 'string' | 'bytes' | 'int' | 'bool' | 'mapStringString' | 'mapStringBytes' | 'intOrString' | Schema;
interface FieldDef {
  readonly name: string;
  readonly type: FieldType;
  readonly repeated?: boolean;
}
type Schema = { readonly [num: number]: FieldDef };

const OBJECT_META: Schema = {
  1: { name: 'name', type: 'string' },
  2: { name: 'generateName', type: 'string' },
  3: { name: 'namespace', type: 'string' },
  11: { name: 'labels', type: 'mapStringString' },
  12: { name: 'annotations', type: 'mapStringString' },
  14: { name: 'finalizers', type: 'string', repeated: true },
};
const SERVICE_PORT: Schema = {
  1: { name: 'name', type: 'string' },
  2: { name: 'protocol', type: 'string' },
  3: { name: 'port', type: 'int' },
  4: { name: 'targetPort', type: 'intOrString' },
  5: { name: 'nodePort', type: 'int' },
  6: { name: 'appProtocol', type: 'string' },
};
const SERVICE_SPEC: Schema = {
  1: { name: 'ports', type: SERVICE_PORT, repeated: true },
  2: { name: 'selector', type: 'mapStringString' },
  3: { name: 'clusterIP', type: 'string' },
  4: { name: 'type', type: 'string' },
  5: { name: 'externalIPs', type: 'string', repeated: true },
  7: { name: 'sessionAffinity', type: 'string' },
  8: { name: 'loadBalancerIP', type: 'string' },
  9: { name: 'loadBalancerSourceRanges', type: 'string', repeated: true },
  10: { name: 'externalName', type: 'string' },
  11: { name: 'externalTrafficPolicy', type: 'string' },
  12: { name: 'healthCheckNodePort', type: 'int' },
  13: { name: 'publishNotReadyAddresses', type: 'bool' },
  17: { name: 'ipFamilyPolicy', type: 'string' },
  18: { name: 'clusterIPs', type: 'string', repeated: true },
  19: { name: 'ipFamilies', type: 'string', repeated: true },
  20: { name: 'allocateLoadBalancerNodePorts', type: 'bool' },
  21: { name: 'loadBalancerClass', type: 'string' },
  22: { name: 'internalTrafficPolicy', type: 'string' },
  23: { name: 'trafficDistribution', type: 'string' },
};
const KINDS: Record<string, Schema> = {
  'v1/Namespace': { 1: { name: 'metadata', type: OBJECT_META }, 2: { name: 'spec', type: { 1: { name: 'finalizers', type: 'string', repeated: true } } } },
  'v1/Secret': {
    1: { name: 'metadata', type: OBJECT_META },
    2: { name: 'data', type: 'mapStringBytes' },
    3: { name: 'type', type: 'string' },
    4: { name: 'stringData', type: 'mapStringString' },
    5: { name: 'immutable', type: 'bool' },
  },
  'v1/Service': { 1: { name: 'metadata', type: OBJECT_META }, 2: { name: 'spec', type: SERVICE_SPEC } },
};

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  }
  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) throw new Error('truncated field');
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 2) this.bytes();
    else if (wire === 1) this.pos += 8;
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

/** Fields of one message: number → raw values (varints as bigint, length-delimited as Buffer). */
const fields = (buf: Buffer): Array<{ num: number; wire: number; value: bigint | Buffer }> => {
  const r = new Reader(buf);
  const out: Array<{ num: number; wire: number; value: bigint | Buffer }> = [];
  while (!r.done) {
    const key = Number(r.varint());
    const num = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ num, wire, value: r.varint() });
    else if (wire === 2) out.push({ num, wire, value: r.bytes() });
    else r.skip(wire);
  }
  return out;
};

const mapEntry = (buf: Buffer): [string, Buffer] => {
  let k = '';
  let v: Buffer = Buffer.alloc(0);
  for (const f of fields(buf)) {
    if (f.num === 1 && Buffer.isBuffer(f.value)) k = f.value.toString('utf8');
    if (f.num === 2 && Buffer.isBuffer(f.value)) v = f.value;
  }
  return [k, v];
};

const decodeMessage = (buf: Buffer, schema: Schema): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const f of fields(buf)) {
    const def = schema[f.num];
    if (!def) continue;
    let v: unknown;
    const t = def.type;
    if (t === 'string') v = Buffer.isBuffer(f.value) ? f.value.toString('utf8') : undefined;
    else if (t === 'bytes') v = Buffer.isBuffer(f.value) ? f.value.toString('base64') : undefined;
    else if (t === 'int') v = typeof f.value === 'bigint' ? Number(BigInt.asIntN(64, f.value)) : undefined;
    else if (t === 'bool') v = typeof f.value === 'bigint' ? f.value !== 0n : undefined;
    else if (t === 'mapStringString' || t === 'mapStringBytes') {
      if (!Buffer.isBuffer(f.value)) continue;
      const [k, val] = mapEntry(f.value);
      const m = (out[def.name] ??= {}) as Record<string, string>;
      m[k] = t === 'mapStringString' ? val.toString('utf8') : val.toString('base64');
      continue;
    } else if (t === 'intOrString') {
      if (!Buffer.isBuffer(f.value)) continue;
      const parts = decodeMessage(f.value, { 1: { name: 'type', type: 'int' }, 2: { name: 'intVal', type: 'int' }, 3: { name: 'strVal', type: 'string' } });
      v = parts.type === 1 ? parts.strVal : (parts.intVal ?? 0);
    } else v = Buffer.isBuffer(f.value) ? decodeMessage(f.value, t) : undefined;
    // Go's protobuf writes unset strings and ints as "" and 0: JSON would have omitted them.
    if (v === undefined || (!def.repeated && (v === '' || v === 0)) || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0)) continue;
    if (def.repeated) ((out[def.name] ??= []) as unknown[]).push(v);
    else out[def.name] = v;
  }
  return out;
};

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

export const decodeKubernetesProtobuf = (body: Buffer): Record<string, unknown> => {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw new ApiError(400, 'BadRequest', 'the protobuf body does not start with the Kubernetes magic number');
  let apiVersion = '';
  let kind = '';
  let raw: Buffer | undefined;
  try {
    for (const f of fields(body.subarray(4))) {
      if (f.num === 1 && Buffer.isBuffer(f.value)) {
        const tm = decodeMessage(f.value, { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } });
        apiVersion = String(tm.apiVersion ?? '');
        kind = String(tm.kind ?? '');
      }
      if (f.num === 2 && Buffer.isBuffer(f.value)) raw = f.value;
    }
  } catch (e) {
    throw new ApiError(400, 'BadRequest', `the protobuf body could not be decoded: ${e instanceof Error ? e.message : String(e)}`);
  }
  const schema = KINDS[`${apiVersion}/${kind}`];
  if (!schema || !raw) {
    throw new ApiError(415, 'UnsupportedMediaType', `protobuf bodies are accepted for ${Object.keys(KINDS).join(', ')} only; send ${kind || 'this object'} as application/json or application/yaml`);
  }
  try {
    return { apiVersion, kind, ...decodeMessage(raw, schema) };
  } catch (e) {
    throw new ApiError(400, 'BadRequest', `the protobuf body could not be decoded: ${e instanceof Error ? e.message : String(e)}`);
  }
};
