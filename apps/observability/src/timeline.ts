import type { EventEnvelope } from '@bosun/contracts';

/**
 * The last events per correlation id, in arrival order: what `bosun events timeline` shows
 * (one change, followed across services). Bounded in correlations and events per correlation.
 */
export class CorrelationTimeline {
  private readonly byCorrelation = new Map<string, EventEnvelope[]>();

  constructor(
    private readonly maxCorrelations = 10_000,
    private readonly maxEventsPerCorrelation = 500,
  ) {}

  add(e: EventEnvelope): void {
    let list = this.byCorrelation.get(e.correlationId);
    if (!list) {
      if (this.byCorrelation.size >= this.maxCorrelations) {
        const oldest = this.byCorrelation.keys().next().value;
        if (oldest !== undefined) this.byCorrelation.delete(oldest);
      }
      list = [];
      this.byCorrelation.set(e.correlationId, list);
    }
    if (list.some((x) => x.id === e.id)) return; // redelivery
    list.push(e);
    if (list.length > this.maxEventsPerCorrelation) list.shift();
  }

  get(correlationId: string): EventEnvelope[] {
    return [...(this.byCorrelation.get(correlationId) ?? [])].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.position - b.position);
  }

  get size(): number {
    return this.byCorrelation.size;
  }
}
