import type { StatusProjector } from './status-projector';
import { bgpStatusProjector } from './bgp';
import { ipamStatusProjector } from './ipam';
import { l2StatusProjector } from './l2';

export * from './status-projector';

/** Every context's status projector. Each context appends one line. */
export const statusProjectors: StatusProjector[] = [
  bgpStatusProjector,
  ipamStatusProjector,
  l2StatusProjector,
];
