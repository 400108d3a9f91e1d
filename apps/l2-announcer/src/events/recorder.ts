import { randomUUID } from 'node:crypto';
import {
  L2Announced,
  L2LeaseAcquired,
  L2LeaseLost,
  L2PolicyConditionsObserved,
  l2LeaseStreamId,
  l2PolicyStreamId,
  type L2AnnouncedData,
  type L2LeaseAcquiredData,
  type L2LeaseLostData,
  type L2PolicyConditionsObservedData,
} from '@bosun/contracts';
import type { EventStore } from '@bosun/event-store';
import type { ServiceRef } from '@bosun/l2';

type Pending = { streamId: string; type: string; data: unknown; id: string; correlationId: string; causationId: string | null; traceparent: string | null };

/**
 * Appends the l2 events of this node, in order, off the hot path: a takeover announces first and
 * records afterwards. One event per Service owning the address (each in its own stream). Retries
 * with backoff while the store is unavailable; never blocks or fails the lease loop.
 */
export class L2EventRecorder {
  private queue: Pending[] = [];
  private draining = false;
  /** Correlation of the current tenure of each address (takeover → announcements → loss). */
  private readonly tenure = new Map<string, { correlationId: string; acquiredEventIds: Map<string, string>; traceparent: string | null }>();
  appended = 0;
  failures = 0;
  private closed = false;
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: EventStore,
    private readonly log: (msg: string, fields?: Record<string, unknown>) => void = () => undefined,
    private readonly maxQueue = 100_000,
  ) {}

  private push(p: Pending): void {
    if (this.closed) return;
    if (this.queue.length >= this.maxQueue) {
      this.queue.shift();
      this.log('event queue full: dropped the oldest l2 event');
    }
    this.queue.push(p);
    if (!this.draining) this.idle = this.drain();
  }

  /** `traceparent`: the takeover's span, so the events join its trace. */
  acquired(services: readonly ServiceRef[], data: Omit<L2LeaseAcquiredData, 'service'>, traceparent: string | null = null): void {
    const correlationId = randomUUID();
    const ids = new Map<string, string>();
    this.tenure.set(data.address, { correlationId, acquiredEventIds: ids, traceparent });
    for (const service of services) {
      const id = randomUUID();
      ids.set(`${service.namespace}/${service.name}`, id);
      const d: L2LeaseAcquiredData = { service: { ...service }, ...data };
      this.push({ streamId: l2LeaseStreamId(service.namespace, service.name), type: L2LeaseAcquired.type, data: d, id, correlationId, causationId: null, traceparent });
    }
  }

  announced(services: readonly ServiceRef[], data: Omit<L2AnnouncedData, 'service'>): void {
    const t = this.tenure.get(data.address);
    for (const service of services) {
      const d: L2AnnouncedData = { service: { ...service }, ...data };
      this.push({
        streamId: l2LeaseStreamId(service.namespace, service.name),
        type: L2Announced.type,
        data: d,
        id: randomUUID(),
        correlationId: t?.correlationId ?? randomUUID(),
        causationId: t?.acquiredEventIds.get(`${service.namespace}/${service.name}`) ?? null,
        traceparent: t?.traceparent ?? null,
      });
    }
  }

  lost(services: readonly ServiceRef[], data: Omit<L2LeaseLostData, 'service'>, traceparent: string | null = null): void {
    const t = this.tenure.get(data.address);
    this.tenure.delete(data.address);
    for (const service of services) {
      const d: L2LeaseLostData = { service: { ...service }, ...data };
      this.push({
        streamId: l2LeaseStreamId(service.namespace, service.name),
        type: L2LeaseLost.type,
        data: d,
        id: randomUUID(),
        correlationId: t?.correlationId ?? randomUUID(),
        causationId: t?.acquiredEventIds.get(`${service.namespace}/${service.name}`) ?? null,
        traceparent,
      });
    }
  }

  policyConditions(data: L2PolicyConditionsObservedData): void {
    this.push({ streamId: l2PolicyStreamId(data.policy), type: L2PolicyConditionsObserved.type, data, id: randomUUID(), correlationId: randomUUID(), causationId: null, traceparent: null });
  }

  get pending(): number {
    return this.queue.length;
  }

  private async drain(): Promise<void> {
    this.draining = true;
    let backoff = 100;
    try {
      while (this.queue.length > 0 && !this.closed) {
        // Consecutive events of one stream go in one append.
        const head = this.queue[0]!;
        let n = 1;
        const same = (p: Pending) => p.streamId === head.streamId && p.correlationId === head.correlationId && p.causationId === head.causationId && p.traceparent === head.traceparent;
        while (n < this.queue.length && n < 200 && same(this.queue[n]!)) n++;
        const batch = this.queue.slice(0, n);
        try {
          await this.store.append(
            head.streamId,
            'any',
            batch.map((p) => ({ type: p.type, data: p.data, id: p.id })),
            { correlationId: head.correlationId, causationId: head.causationId, traceparent: head.traceparent },
          );
          this.queue.splice(0, n);
          this.appended += n;
          backoff = 100;
        } catch (e) {
          this.failures++;
          const msg = e instanceof Error ? e.message : String(e);
          // A duplicate id means a retried append already went through.
          if (/duplicate key|events_event_id_key/.test(msg)) {
            this.queue.splice(0, n);
            continue;
          }
          this.log('cannot append l2 events (will retry)', { error: msg, pending: this.queue.length });
          await new Promise((r) => setTimeout(r, backoff));
          backoff = Math.min(backoff * 2, 5000);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** Waits until the queue is empty (or `timeoutMs` passed). */
  async flush(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.queue.length > 0 || this.draining) && Date.now() < deadline) {
      await Promise.race([this.idle, new Promise((r) => setTimeout(r, 50))]);
    }
  }

  close(): void {
    this.closed = true;
  }
}
