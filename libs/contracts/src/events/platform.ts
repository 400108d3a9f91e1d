import type { EventDefinition } from '../catalogue';

/** Events of the `platform` context. */
export const platformEvents: EventDefinition[] = [];
