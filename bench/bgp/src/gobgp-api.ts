import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as protobuf from 'protobufjs';
import { resolve } from 'node:path';

/**
 * Feeds gobgpd through its gRPC API (AddPathStream, as `gobgp mrt inject` does): one stream,
 * 1,000 paths per message. Withdrawals are the same paths with `is_withdraw`.
 */

const PROTO = resolve(__dirname, '../proto/gobgp-subset.proto');

interface AnyMsg {
  type_url: string;
  value: Uint8Array;
}

export interface PreparedPaths {
  readonly messages: readonly object[];
}

export class GobgpApi {
  private readonly client: grpc.Client & { AddPathStream(cb: (err: grpc.ServiceError | null) => void): grpc.ClientWritableStream<unknown> };
  private readonly root: protobuf.Root;

  constructor(target: string) {
    const def = protoLoader.loadSync(PROTO, { keepCase: true, enums: Number, defaults: false });
    const pkg = grpc.loadPackageDefinition(def) as unknown as { apipb: { GobgpApi: new (t: string, c: grpc.ChannelCredentials) => GobgpApi['client'] } };
    this.client = new pkg.apipb.GobgpApi(target, grpc.credentials.createInsecure());
    this.root = new protobuf.Root().loadSync(PROTO, { keepCase: true });
  }

  private any(type: string, value: object): AnyMsg {
    const t = this.root.lookupType(`apipb.${type}`);
    return { type_url: `type.googleapis.com/apipb.${type}`, value: t.encode(t.fromObject(value)).finish() };
  }

  /** Host routes with ORIGIN IGP, an empty AS_PATH (gobgpd prepends its AS toward eBGP) and the next hop. */
  async addHostRoutes(addresses: readonly string[], nextHop: string, withdraw = false): Promise<void> {
    await this.send(this.prepare(addresses, nextHop, withdraw));
  }

  /** Builds the AddPathStream messages (protobuf encoding done here, outside any timing). */
  prepare(addresses: readonly string[], nextHop: string, withdraw = false): PreparedPaths {
    const origin = this.any('OriginAttribute', { origin: 0 });
    const asPath = this.any('AsPathAttribute', { segments: [] });
    const paths = addresses.map((a) => {
      const v6 = a.includes(':');
      const nlri = this.any('IPAddressPrefix', { prefix_len: v6 ? 128 : 32, prefix: a });
      const family = { afi: v6 ? 2 : 1, safi: 1 };
      const pattrs = v6 ? [origin, asPath, this.any('MpReachNLRIAttribute', { family, next_hops: [nextHop], nlris: [nlri] })] : [origin, asPath, this.any('NextHopAttribute', { next_hop: nextHop })];
      return { nlri, pattrs, family, is_withdraw: withdraw };
    });
    const messages: object[] = [];
    for (let i = 0; i < paths.length; i += 1000) messages.push({ table_type: 0, vrf_id: '', paths: paths.slice(i, i + 1000) });
    return { messages };
  }

  /** Streams prepared paths to gobgpd; resolves when it has taken them all. */
  async send(prepared: PreparedPaths): Promise<void> {
    await new Promise<void>((resolvePromise, reject) => {
      const stream = this.client.AddPathStream((err) => (err ? reject(err) : resolvePromise()));
      for (const m of prepared.messages) stream.write(m);
      stream.end();
    });
  }

  close(): void {
    this.client.close();
  }
}
