/**
 * Milliseconds on CLOCK_MONOTONIC, which every process on the host shares: the announcer and its
 * capture processes compare deadlines on it. Never jumps with wall-clock changes.
 */
export const monotonicMs = (): number => Number(process.hrtime.bigint() / 1000n) / 1000;
