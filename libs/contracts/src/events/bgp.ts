import type { EventDefinition } from '../catalogue';

/** Events of the `bgp` context. */
export const bgpEvents: EventDefinition[] = [];
