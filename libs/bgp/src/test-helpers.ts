/** Helpers for tests: raw message construction. Not exported from the package index. */

export function rawMessage(type: number, body: number[] | Uint8Array, lengthOverride?: number): Uint8Array {
  const len = lengthOverride ?? 19 + body.length;
  const out = new Uint8Array(19 + body.length);
  out.fill(0xff, 0, 16);
  out[16] = (len >> 8) & 0xff;
  out[17] = len & 0xff;
  out[18] = type;
  out.set(body, 19);
  return out;
}

/** An UPDATE body from withdrawn-route bytes, attribute bytes and NLRI bytes. */
export function rawUpdate(withdrawn: number[], attrs: number[], nlri: number[]): Uint8Array {
  return rawMessage(2, [withdrawn.length >> 8, withdrawn.length & 0xff, ...withdrawn, attrs.length >> 8, attrs.length & 0xff, ...attrs, ...nlri]);
}

/** One path attribute (flags, type, value) with a 1-octet length. */
export function attr(flags: number, type: number, value: number[]): number[] {
  return [flags, type, value.length, ...value];
}

export const ORIGIN_IGP = attr(0x40, 1, [0]);
export const AS_PATH_65001 = attr(0x40, 2, [2, 1, 0, 0, 0xfd, 0xe9]); // 4-octet: sequence [65001]
export const NEXT_HOP_1 = attr(0x40, 3, [192, 0, 2, 1]);
