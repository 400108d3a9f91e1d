import { EventCatalogue } from '../catalogue';
import { resourceEvents } from './resource';
import { ipamEvents } from './ipam';
import { bgpEvents } from './bgp';
import { l2Events } from './l2';
import { platformEvents } from './platform';

export * from './resource';
export * from './ipam';
export * from './bgp';
export * from './l2';
export * from './platform';

/** Every event type Bosun writes. Each context adds its definitions in its own file. */
export const catalogue = new EventCatalogue([
  ...resourceEvents,
  ...ipamEvents,
  ...bgpEvents,
  ...l2Events,
  ...platformEvents,
]);
