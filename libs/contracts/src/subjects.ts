/** JetStream stream that carries every committed event. */
export const EVENTS_STREAM = 'BOSUN_EVENTS';
/** Dead letters: messages a consumer gave up on after N deliveries. */
export const DEAD_LETTER_STREAM = 'BOSUN_DLQ';
export const SUBJECT_PREFIX = 'bosun';

/** `ipam.LoadBalancerIPAllocated` → `bosun.ipam.LoadBalancerIPAllocated`. */
export const subjectFor = (eventType: string, prefix = SUBJECT_PREFIX): string => `${prefix}.${eventType}`;
/** Every event of one context: `bosun.ipam.>`. */
export const contextSubject = (context: string, prefix = SUBJECT_PREFIX): string => `${prefix}.${context}.>`;
export const deadLetterSubject = (consumer: string, prefix = SUBJECT_PREFIX): string => `${prefix}-dlq.${consumer}`;
