import type { EventStore } from '@bosun/event-store';
import { START } from '@bosun/event-store';
import type { KindInfo } from '@bosun/resources';
import { ApiError } from '../k8s/errors';
import { matchesSelectors, type FieldSelector } from '../k8s/selectors';
import type { LabelSelector } from '@bosun/resources';
import type { LiveObjectView } from '../objects/live-view';
import { ObjectProjection, kindKey, type Change, type StoredObject, type WatchEventType } from '../objects/projection';

export interface WatchFilter {
  readonly info: KindInfo;
  /** '' = all namespaces */
  readonly namespace: string;
  readonly labels?: LabelSelector;
  readonly fields?: FieldSelector;
}

export interface WatchSink {
  send(type: WatchEventType, obj: StoredObject): void;
  /** After the initial state (for `sendInitialEvents`), or any time: tells the client where it is. */
  bookmark(resourceVersion: number, initialEventsEnd?: boolean): void;
}

const matches = (f: WatchFilter, o: StoredObject): boolean => {
  if (kindKey(o.info) !== kindKey(f.info)) return false;
  const meta = (o.body.metadata ?? {}) as { name?: unknown; namespace?: unknown; labels?: unknown };
  if (f.namespace && (meta.namespace ?? '') !== f.namespace) return false;
  return matchesSelectors(meta, f.labels, f.fields);
};

/** Turns one object change into the watch event this filter's client must see (if any). */
export const eventFor = (f: WatchFilter, c: Change): { type: WatchEventType; obj: StoredObject } | undefined => {
  if (kindKey(c.obj.info) !== kindKey(f.info)) return undefined;
  const now = c.type === 'DELETED' ? false : matches(f, c.obj);
  const before = c.prev ? matches(f, c.prev) : false;
  if (c.type === 'DELETED') return before ? { type: 'DELETED', obj: c.obj } : undefined;
  if (now && before) return { type: 'MODIFIED', obj: c.obj };
  if (now) return { type: 'ADDED', obj: c.obj };
  // It stopped matching the selector: to this client it is gone.
  if (before) return { type: 'DELETED', obj: c.obj };
  return undefined;
};

/**
 * Starts a watch. `resourceVersion` semantics: absent or "0" → the current state as ADDED
 * events, then every change; X → every change after the event at position X, exactly once,
 * from the in-memory window or, for older X, by replaying the log; unknown X → 410 Expired.
 * Returns a function that stops the watch.
 */
export const startWatch = async (
  view: LiveObjectView,
  store: EventStore,
  filter: WatchFilter,
  resourceVersion: string | undefined,
  sendInitialEvents: boolean,
  sink: WatchSink,
): Promise<() => void> => {
  const deliver = (c: Change): void => {
    const ev = eventFor(filter, c);
    if (ev) sink.send(ev.type, ev.obj);
  };
  const rv = resourceVersion && resourceVersion !== '0' ? Number(resourceVersion) : undefined;
  if (rv !== undefined && (!Number.isSafeInteger(rv) || rv < 0)) throw new ApiError(400, 'BadRequest', `invalid resourceVersion "${resourceVersion}"`);

  if (rv === undefined || sendInitialEvents) {
    // Synchronously: snapshot then subscribe, so nothing falls between the two.
    if (rv !== undefined && sendInitialEvents) {
      /* Kubernetes: sendInitialEvents with a resourceVersion means "at least as new as"; we serve the current state. */
    }
    for (const o of view.projection.list(filter.info)) if (matches(filter, o)) sink.send('ADDED', o);
    if (sendInitialEvents) sink.bookmark(view.hub.lastPosition, true);
    return view.hub.subscribe({ onChange: (c) => deliver(c) });
  }

  const seq = view.hub.seqOf(rv);
  if (seq !== undefined) {
    for (const { change } of view.hub.changesAfter(seq)) deliver(change);
    return view.hub.subscribe({ onChange: (c) => deliver(c) });
  }

  // Older than the window (or not projected yet): is it a real position at all?
  const cp = await store.checkpointAt(rv);
  if (!cp) throw new ApiError(410, 'Expired', `too old resource version: ${rv} (${view.hub.lastPosition})`);

  // Replay the log into a scratch view up to where the live window takes over.
  const scratch = new ObjectProjection(view.projectors);
  let after = START;
  let passed = false;
  let lastSeen: number | undefined;
  const handOver = (fromSeq: number): (() => void) => {
    for (const { change } of view.hub.changesAfter(fromSeq)) deliver(change);
    return view.hub.subscribe({ onChange: (c) => deliver(c) });
  };
  for (let idle = 0; ; ) {
    const batch = await store.readAll({ after, limit: 2000 });
    for (const e of batch.events) {
      if (passed) {
        const s = view.hub.seqOf(e.position);
        // The live window covers this event: hand over (synchronously, so nothing is lost).
        if (s !== undefined) return handOver(s - 1);
        for (const c of scratch.apply(e)) deliver(c);
      } else scratch.apply(e);
      lastSeen = e.position;
      if (e.position === rv) passed = true;
    }
    after = batch.checkpoint;
    if (passed && lastSeen !== undefined) {
      const s = view.hub.seqOf(lastSeen);
      if (s !== undefined) return handOver(s);
    }
    if (batch.events.length === 0) {
      // The live view has not reached the end of the log yet: wait a little for it.
      if (++idle > 1500) throw new ApiError(504, 'Timeout', 'the object view did not catch up with the log');
      view.poke();
      await new Promise((r) => setTimeout(r, 20));
    }
  }
};
