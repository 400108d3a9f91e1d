import type { Logger } from '@bosun/telemetry';
import type { L2AnnouncerConfig } from '../config';
import type { ClusterView } from './cluster-view';
import { FileClusterView } from './file-view';

/** The cluster view the configuration asks for: a manifest file (standalone) or the API. */
export const createClusterView = (c: L2AnnouncerConfig, _log: Logger): ClusterView => {
  if (c.staticView) return new FileClusterView(c.staticView);
  throw new Error(`BOSUN_SERVER=${c.server}: the API view needs @bosun/client informers; set BOSUN_L2_STATIC_VIEW to run standalone`);
};
