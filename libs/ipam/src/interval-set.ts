/**
 * A set of bigints kept as sorted, disjoint, non-adjacent inclusive intervals: the free
 * addresses of a range. Its representation is canonical (the same set always has the same
 * intervals), so removing and re-adding an address restores it exactly.
 * Memory grows with fragmentation, never with the size of the range.
 */
export class IntervalSet {
  private readonly lo: bigint[] = [];
  private readonly hi: bigint[] = [];
  private count = 0n;

  static of(from: bigint, to: bigint): IntervalSet {
    const s = new IntervalSet();
    if (from <= to) s.addRange(from, to);
    return s;
  }

  get size(): bigint {
    return this.count;
  }

  get intervals(): number {
    return this.lo.length;
  }

  isEmpty(): boolean {
    return this.lo.length === 0;
  }

  /** Index of the last interval whose start is <= x, or -1. */
  private floor(x: bigint): number {
    let a = 0;
    let b = this.lo.length - 1;
    let r = -1;
    while (a <= b) {
      const m = (a + b) >> 1;
      if (this.lo[m]! <= x) {
        r = m;
        a = m + 1;
      } else b = m - 1;
    }
    return r;
  }

  has(x: bigint): boolean {
    const i = this.floor(x);
    return i >= 0 && x <= this.hi[i]!;
  }

  /** The lowest member, or undefined when empty. */
  first(): bigint | undefined {
    return this.lo[0];
  }

  /** The lowest member >= x. */
  firstAtOrAfter(x: bigint): bigint | undefined {
    const i = this.floor(x);
    if (i >= 0 && x <= this.hi[i]!) return x;
    return this.lo[i + 1];
  }

  /** Adds one value; returns false when it was already there. */
  add(x: bigint): boolean {
    return this.addRange(x, x) > 0n;
  }

  /** Adds [from, to]; returns how many values were new. */
  addRange(from: bigint, to: bigint): bigint {
    if (from > to) return 0n;
    // Intervals touching or overlapping [from-1, to+1] merge with it.
    let i = this.floor(from - 1n);
    if (i < 0 || this.hi[i]! < from - 1n) i++;
    let j = i;
    let newLo = from;
    let newHi = to;
    let covered = 0n;
    while (j < this.lo.length && this.lo[j]! <= to + 1n) {
      const l = this.lo[j]!;
      const h = this.hi[j]!;
      const cl = l > from ? l : from;
      const ch = h < to ? h : to;
      if (cl <= ch) covered += ch - cl + 1n;
      if (l < newLo) newLo = l;
      if (h > newHi) newHi = h;
      j++;
    }
    this.lo.splice(i, j - i, newLo);
    this.hi.splice(i, j - i, newHi);
    const added = to - from + 1n - covered;
    this.count += added;
    return added;
  }

  /** Removes one value; returns false when it was not there. */
  delete(x: bigint): boolean {
    const i = this.floor(x);
    if (i < 0 || x > this.hi[i]!) return false;
    const l = this.lo[i]!;
    const h = this.hi[i]!;
    if (l === h) {
      this.lo.splice(i, 1);
      this.hi.splice(i, 1);
    } else if (x === l) this.lo[i] = l + 1n;
    else if (x === h) this.hi[i] = h - 1n;
    else {
      this.hi[i] = x - 1n;
      this.lo.splice(i + 1, 0, x + 1n);
      this.hi.splice(i + 1, 0, h);
    }
    this.count -= 1n;
    return true;
  }

  /** [lo, hi] pairs, lowest first (for tests and debugging). */
  toArray(): Array<[bigint, bigint]> {
    return this.lo.map((l, i) => [l, this.hi[i]!]);
  }
}
