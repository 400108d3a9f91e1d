import type { z } from 'zod';
import type { EventEnvelope } from './envelope';

/**
 * One event type: its current schema and version, and the upcasters that bring older stored
 * versions up to date on read (stored events are never rewritten).
 */
export interface EventDefinition<TType extends string = string, TSchema extends z.ZodType = z.ZodType> {
  readonly type: TType;
  readonly version: number;
  readonly schema: TSchema;
  /** upcasters[v] turns data of version v into version v + 1. */
  readonly upcasters?: Readonly<Record<number, (data: any) => unknown>>;
}

export const defineEvent = <TType extends string, TSchema extends z.ZodType>(
  def: EventDefinition<TType, TSchema>,
): EventDefinition<TType, TSchema> => def;

export type EventDataOf<D> = D extends EventDefinition<string, infer S> ? z.infer<S> : never;
export type EventOf<D> = D extends EventDefinition<infer T, infer S> ? EventEnvelope<T, z.infer<S>> : never;

export class UnknownEventTypeError extends Error {
  constructor(readonly eventType: string) {
    super(`unknown event type ${eventType}`);
  }
}

export class InvalidEventDataError extends Error {
  constructor(readonly eventType: string, readonly issues: string[]) {
    super(`invalid data for ${eventType}: ${issues.join('; ')}`);
  }
}

/** A set of event definitions: validates data before append and upcasts on read. */
export class EventCatalogue {
  private readonly defs = new Map<string, EventDefinition>();

  constructor(defs: Iterable<EventDefinition> = []) {
    for (const d of defs) this.register(d);
  }

  register(def: EventDefinition): this {
    if (this.defs.has(def.type)) throw new Error(`event type ${def.type} registered twice`);
    this.defs.set(def.type, def);
    return this;
  }

  has(type: string): boolean {
    return this.defs.has(type);
  }

  get(type: string): EventDefinition | undefined {
    return this.defs.get(type);
  }

  types(): string[] {
    return [...this.defs.keys()].sort();
  }

  currentVersion(type: string): number {
    return this.defs.get(type)?.version ?? 1;
  }

  /** Validates `data` against the current schema; returns the parsed (defaulted) data. */
  validate(type: string, data: unknown): unknown {
    const def = this.defs.get(type);
    if (!def) throw new UnknownEventTypeError(type);
    const r = def.schema.safeParse(data);
    if (!r.success) {
      throw new InvalidEventDataError(type, r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
    }
    return r.data;
  }

  /** Brings a stored event to the current version of its type. Unknown types pass through. */
  upcast<E extends EventEnvelope>(event: E): E {
    const def = this.defs.get(event.type);
    if (!def || event.version >= def.version) return event;
    let data: unknown = event.data;
    for (let v = event.version; v < def.version; v++) {
      const up = def.upcasters?.[v];
      if (!up) throw new Error(`no upcaster for ${event.type} v${v} → v${v + 1}`);
      data = up(data);
    }
    return { ...event, version: def.version, data };
  }
}
