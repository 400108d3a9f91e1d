import type { Logger } from '@bosun/telemetry';
import type { L2AnnouncerConfig } from '../config';
import type { ClusterView } from './cluster-view';
import { FileClusterView } from './file-view';

/**
 * The cluster view the configuration asks for: a manifest file (standalone) or the API. The API
 * client is loaded only when used (a standalone announcer starts faster without it).
 */
export const createClusterView = async (c: L2AnnouncerConfig, log: Logger): Promise<ClusterView> => {
  if (c.staticView) return new FileClusterView(c.staticView);
  const { ApiClusterView } = await import('./api-view.js');
  return new ApiClusterView(c.server, log);
};
