import { Client } from 'pg';
import { notifyChannel, quoteIdent } from './schema';

/**
 * One LISTEN connection per store: every append statement in the schema NOTIFYs, and all local
 * subscriptions are woken. Reconnects with backoff; the subscriptions' fallback poll covers
 * the gaps (and a NOTIFY is only a hint: readers always re-read by the read rule).
 */
export class Notifier {
  private client: Client | null = null;
  private running = false;
  private connecting: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private backoffMs = 100;

  constructor(
    private readonly url: string,
    private readonly schema: string,
    private readonly onNotify: () => void,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.connecting = this.connect();
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    const client = new Client({ connectionString: this.url, application_name: 'bosun-eventstore-listen' });
    client.on('notification', () => this.onNotify());
    client.on('error', () => this.reconnect(client));
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdent(notifyChannel(this.schema))}`);
      if (!this.running) {
        await client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      this.backoffMs = 100;
      // Anything appended while we were not listening: let readers look.
      this.onNotify();
    } catch {
      this.reconnect(client);
    }
  }

  private reconnect(client: Client): void {
    if (this.client === client) this.client = null;
    client.removeAllListeners('end');
    client.on('error', () => undefined);
    client.end().catch(() => undefined);
    if (!this.running || this.retryTimer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, 5_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connecting = this.connect();
    }, delay);
    this.retryTimer.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.connecting?.catch(() => undefined);
    const c = this.client;
    this.client = null;
    if (c) {
      c.removeAllListeners('end');
      c.on('error', () => undefined);
      await c.end().catch(() => undefined);
    }
  }
}
