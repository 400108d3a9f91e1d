import { readFileSync, watchFile, unwatchFile } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { EMPTY_SNAPSHOT, snapshotOf, type ClusterSnapshot, type ClusterView } from './cluster-view';

/**
 * Standalone mode (`BOSUN_L2_STATIC_VIEW=/path/objects.yaml`): the cluster is whatever the file
 * holds — Nodes, Services (with their status), CiliumL2AnnouncementPolicies, EndpointSlices, as
 * multi-document YAML, JSON or a `List`. The file is re-read when it changes; a file that does
 * not parse keeps the last good view (and the error is reported).
 */
export class FileClusterView implements ClusterView {
  private current: ClusterSnapshot = EMPTY_SNAPSHOT;
  private readonly listeners: (() => void)[] = [];
  synced = false;
  lastError: string | null = null;

  constructor(
    readonly path: string,
    private readonly pollMs = 100,
  ) {}

  private load(): boolean {
    try {
      const text = readFileSync(this.path, 'utf8');
      const docs = parseAllDocuments(text).flatMap((d) => {
        if (d.errors.length > 0) throw new Error(d.errors[0]!.message);
        const v = d.toJS() as unknown;
        return v == null ? [] : Array.isArray(v) ? v : [v];
      }) as Record<string, unknown>[];
      this.current = snapshotOf(docs);
      this.lastError = null;
      return true;
    } catch (e) {
      this.lastError = `${this.path}: ${e instanceof Error ? e.message : String(e)}`;
      return false;
    }
  }

  async start(): Promise<void> {
    if (!this.load()) throw new Error(this.lastError!);
    this.synced = true;
    watchFile(this.path, { interval: this.pollMs }, () => {
      if (this.load()) for (const l of this.listeners) l();
    });
  }

  snapshot(): ClusterSnapshot {
    return this.current;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  async stop(): Promise<void> {
    unwatchFile(this.path);
  }
}
