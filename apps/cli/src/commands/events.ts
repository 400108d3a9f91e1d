import type { Command } from 'commander';
import { EventCatalogue, type EventEnvelope } from '@bosun/contracts';
import { createEventStore, type EventFilter, type PostgresEventStore } from '@bosun/event-store';
import { TABLE_HEADER, formatEvent, parseOutput, parseSince, tableLine, type OutputFormat } from './events-format';

export interface TailOptions {
  readonly types: string[];
  readonly streams: string[];
  readonly correlation?: string;
  readonly since?: string;
  /** Events shown before following (ignored with --since). */
  readonly last: number;
  readonly follow: boolean;
  readonly output: OutputFormat;
}

/**
 * `bosun events tail`: the last events, then every new one as it is committed (read from the
 * event store by its read rule, so nothing committed late is skipped).
 */
export const tailEvents = async (
  store: PostgresEventStore,
  o: TailOptions,
  write: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> => {
  const filter: EventFilter = {
    ...(o.types.length ? { types: o.types } : {}),
    ...(o.streams.length ? { streamPrefixes: o.streams } : {}),
    ...(o.correlation ? { correlationId: o.correlation } : {}),
    ...(o.since ? { since: parseSince(o.since) } : {}),
  };
  if (o.output === 'table') write(tableLine(TABLE_HEADER));
  const print = (events: EventEnvelope[]) => {
    for (const e of events) write(formatEvent(e, o.output));
  };
  let from;
  if (o.since) {
    // Everything since then, page by page.
    let page = await store.readAll({ ...filter, limit: 1_000 });
    print(page.events);
    while (!page.caughtUp) {
      page = await store.readAll({ ...filter, after: page.checkpoint, limit: 1_000 });
      print(page.events);
    }
    from = page.checkpoint;
  } else {
    const last = await store.readLast(o.last, filter);
    print(last.events);
    from = last.checkpoint;
  }
  if (!o.follow || signal?.aborted) return;
  const sub = store.subscribe({ ...filter, from, batchSize: 500, handler: async (events) => print(events) });
  await new Promise<void>((resolve) => {
    if (signal?.aborted) resolve();
    signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  await sub.stop();
};

const collect = (v: string, prev: string[]) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

export const register = (program: Command): void => {
  const events = program.command('events').description('Bosun events (the event store: every decision every service made)');
  events
    .command('tail')
    .description('show the last events, then follow new ones as they are committed (like hubble observe -f)')
    .option('-t, --type <type>', 'only this event type, e.g. ipam.LoadBalancerIPAllocated (repeatable, comma-separated)', collect, [])
    .option('--stream <prefix>', 'only streams whose id starts with this, e.g. ipam-pool- (repeatable)', collect, [])
    .option('--correlation <id>', 'only events of this correlation id (one change, across services)')
    .option('--since <time>', 'events since a duration ago (3s, 1h43m) or a time (RFC 3339); replaces --last')
    .option('--last <n>', 'show this many recent events first', '20')
    .option('--no-follow', 'print and exit instead of following')
    .option('-o, --output <format>', 'compact, table or json (one envelope per line)', 'compact')
    .action(async (opts: { type: string[]; stream: string[]; correlation?: string; since?: string; last: string; follow: boolean; output: string }) => {
      const last = Number(opts.last);
      if (!Number.isSafeInteger(last) || last < 0) throw new Error(`--last: "${opts.last}" is not a number of events`);
      const output = parseOutput(opts.output);
      if (opts.since) parseSince(opts.since); // reject a bad --since before connecting
      // Read-only: no migrations, no validation (an empty catalogue), no upcasting needed to print.
      const store = await createEventStore({ migrate: false, poolSize: 2, catalogue: new EventCatalogue(), applicationName: 'bosun-events-tail' });
      const exists = await store.query<{ ok: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS ok`, [`"${store.schema}".events`]);
      if (!exists[0]?.ok) {
        await store.close();
        throw new Error(`no event store in schema "${store.schema}" of ${store.url.replace(/:[^:@/]*@/, ':***@')} (set DATABASE_URL / BOSUN_EVENTSTORE_SCHEMA)`);
      }
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      process.once('SIGTERM', () => abort.abort());
      try {
        await tailEvents(store, { types: opts.type, streams: opts.stream, correlation: opts.correlation, since: opts.since, last, follow: opts.follow, output }, (l) => process.stdout.write(`${l}\n`), abort.signal);
      } finally {
        await store.close();
      }
    });
};
