import { DEAD_LETTER_STREAM, EVENTS_STREAM, SUBJECT_PREFIX } from '@bosun/contracts';

/** Where events travel, from the environment (tests and side-by-side installs override these). */
export interface EventBusConfig {
  /** `BOSUN_EVENTS_STREAM` (default `BOSUN_EVENTS`). */
  readonly streamName: string;
  /** `BOSUN_DLQ_STREAM` (default `BOSUN_DLQ`). */
  readonly deadLetterStreamName: string;
  /** `BOSUN_SUBJECT_PREFIX` (default `bosun`): events on `<prefix>.<type>`. */
  readonly subjectPrefix: string;
}

export const eventBusConfigFromEnv = (env: NodeJS.ProcessEnv = process.env): EventBusConfig => {
  const subjectPrefix = env['BOSUN_SUBJECT_PREFIX'] || SUBJECT_PREFIX;
  if (!/^[A-Za-z0-9_-]+$/.test(subjectPrefix)) throw new Error(`BOSUN_SUBJECT_PREFIX: "${subjectPrefix}" must be one subject token (letters, digits, - and _)`);
  const streamName = env['BOSUN_EVENTS_STREAM'] || EVENTS_STREAM;
  const deadLetterStreamName = env['BOSUN_DLQ_STREAM'] || DEAD_LETTER_STREAM;
  for (const [k, v] of [['BOSUN_EVENTS_STREAM', streamName], ['BOSUN_DLQ_STREAM', deadLetterStreamName]] as const) {
    if (!/^[A-Za-z0-9_-]+$/.test(v)) throw new Error(`${k}: "${v}" is not a valid JetStream stream name`);
  }
  return { streamName, deadLetterStreamName, subjectPrefix };
};
