import type { Logger } from '@bosun/telemetry';
import type { L2AnnouncerConfig } from '../config';
import { ApiClusterView } from './api-view';
import type { ClusterView } from './cluster-view';
import { FileClusterView } from './file-view';

/** The cluster view the configuration asks for: a manifest file (standalone) or the API. */
export const createClusterView = (c: L2AnnouncerConfig, log: Logger): ClusterView =>
  c.staticView ? new FileClusterView(c.staticView) : new ApiClusterView(c.server, log);
