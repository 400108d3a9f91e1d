import { Client } from 'pg';
import type { Transaction } from './types';
import { READER_SESSION_OPTIONS } from './schema';

/**
 * One connection of its own, outside the pool, for readers that must not queue behind the
 * process's appends (a busy pool is FIFO). Statements run one at a time; a broken connection is
 * replaced on the next statement.
 */
export class DedicatedConnection implements Transaction {
  private client: Client | null = null;
  private connecting: Promise<Client> | null = null;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly applicationName: string,
  ) {}

  private connect(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const c = new Client({ connectionString: this.url, application_name: this.applicationName, options: READER_SESSION_OPTIONS });
      const drop = () => {
        if (this.client === c) this.client = null;
      };
      c.on('error', drop);
      c.on('end', drop);
      try {
        await c.connect();
      } catch (err) {
        this.connecting = null;
        throw err;
      }
      if (this.closed) {
        await c.end().catch(() => undefined);
        throw new Error('connection closed');
      }
      this.client = c;
      this.connecting = null;
      return c;
    })();
    return this.connecting;
  }

  /** `name` makes it a prepared statement on this connection (planned once, not per call). */
  async query<R = any>(sql: string, params?: unknown[], name?: string): Promise<R[]> {
    if (this.closed) throw new Error('connection closed');
    const c = await this.connect();
    return (await c.query(name ? { name, text: sql, values: params as unknown[] } : { text: sql, values: params as unknown[] })).rows as R[];
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.client ?? (await this.connecting?.catch(() => null)) ?? null;
    this.client = null;
    if (c) {
      c.removeAllListeners('end');
      c.on('error', () => undefined);
      await c.end().catch(() => undefined);
    }
  }
}
