import type { EventDefinition } from '../catalogue';

/** Events of the `l2` context. */
export const l2Events: EventDefinition[] = [];
