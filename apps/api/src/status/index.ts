import type { StatusProjector } from './status-projector';
import { bgpStatusProjector } from './bgp';
import { ipamStatusProjector } from './ipam';

export * from './status-projector';

/** Every context's status projector. Each context appends one line. */
export const statusProjectors: StatusProjector[] = [
  bgpStatusProjector,
  ipamStatusProjector,
];
