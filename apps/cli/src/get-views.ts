import type { BosunClient } from '@bosun/client';

/**
 * Client-side views `bosun get <name>` shows besides API kinds (e.g. `l2leases`, built from the
 * projected Leases). Areas register theirs from their command module's `register(program)`.
 */
export interface GetViewOptions {
  /** The namespace, when the user gave one with -n (otherwise every namespace). */
  readonly namespace?: string;
  readonly output?: string;
  readonly headers: boolean;
}

export interface GetView {
  /** Names it answers to (plural first). */
  readonly names: readonly string[];
  run(client: BosunClient, names: readonly string[], opts: GetViewOptions): Promise<void>;
}

const views: GetView[] = [];

export const registerGetView = (v: GetView): void => {
  if (!views.includes(v)) views.push(v);
};

export const findGetView = (name: string): GetView | undefined => views.find((v) => v.names.includes(name.toLowerCase()));
