import type { EventDefinition } from '../catalogue';

/** Events of the `ipam` context. */
export const ipamEvents: EventDefinition[] = [];
