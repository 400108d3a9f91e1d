import { BgpSpeaker, type BgpSpeakerOptions, type LogLevel } from '../src/index.js';

/** A speaker whose log lines are kept (printed with BOSUN_TEST_VERBOSE=1). Short idle hold for tests. */
export function speakerWithLog(options: Omit<BgpSpeakerOptions, 'logger'>): { speaker: BgpSpeaker; log: string[] } {
  const log: string[] = [];
  const speaker = new BgpSpeaker({ idleHoldTimeSeconds: 1, maxIdleHoldTimeSeconds: 4, ...options, logger: (level: LogLevel, message: string) => log.push(`${new Date().toISOString()} ${level} ${message}`) });
  return { speaker, log };
}
