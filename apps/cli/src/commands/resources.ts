import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Command } from 'commander';
import { parseAllDocuments } from 'yaml';
import { ApiStatusError, BosunClient, kindOf, type KubeObject, type Table } from '@bosun/client';
import { resolveKindName } from '@bosun/resources';
import { ageOf, formatColumns, formatTable, forOutput, toYaml } from '../print';
import { findGetView } from '../get-views';

/** `--server`, `--token` (and TLS trust) shared by every command that talks to the API. */
export const addGlobalApiOptions = (program: Command): void => {
  const has = (long: string): boolean => program.options.some((o) => o.long === long);
  if (!has('--server')) program.option('--server <url>', 'API address: http(s)://host:port or unix:/path.sock (env BOSUN_SERVER)');
  if (!has('--token')) program.option('--token <token>', 'bearer token (env BOSUN_TOKEN, default .bosun/admin.token)');
  if (!has('--insecure-skip-tls-verify')) program.option('--insecure-skip-tls-verify', 'do not verify the https server certificate');
};

export const clientFrom = (cmd: Command): BosunClient => {
  const o = cmd.optsWithGlobals() as { server?: string; token?: string; insecureSkipTlsVerify?: boolean };
  return new BosunClient({ ...(o.server ? { server: o.server } : {}), ...(o.token ? { token: o.token } : {}), ...(o.insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}) });
};

/** Prints an API error as kubectl does (`Error from server (Invalid): …` plus each cause). */
export const reportError = (e: unknown): never => {
  if (e instanceof ApiStatusError) {
    let msg = `Error from server (${e.reason}): ${e.message.split('\n')[0]}\n`;
    for (const c of e.causes) msg += `  * ${c.field ? `${c.field}: ` : ''}${c.message}\n`;
    process.stderr.write(msg);
  } else process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
};

const MANIFEST_EXT = new Set(['.yaml', '.yml', '.json']);

/** Reads `-f` arguments: files, folders (recursively, *.yaml|*.yml|*.json, sorted) and `-` for stdin. */
export const readManifests = (paths: readonly string[]): { source: string; text: string }[] => {
  const out: { source: string; text: string }[] = [];
  const walk = (p: string): void => {
    if (p === '-') {
      out.push({ source: 'stdin', text: readFileSync(0, 'utf8') });
      return;
    }
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const e of readdirSync(p).sort()) {
        const full = join(p, e);
        if (statSync(full).isDirectory() || MANIFEST_EXT.has(extname(e))) walk(full);
      }
    } else out.push({ source: p, text: readFileSync(p, 'utf8') });
  };
  for (const p of paths) walk(p);
  return out;
};

export const parseManifests = (files: { source: string; text: string }[]): KubeObject[] => {
  const docs: KubeObject[] = [];
  for (const f of files) {
    for (const d of parseAllDocuments(f.text)) {
      if (d.errors.length) throw new Error(`${f.source}: ${d.errors[0]!.message}`);
      const v = d.toJS() as unknown;
      if (v == null) continue;
      if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`${f.source}: a document is not an object`);
      const o = v as KubeObject & { items?: KubeObject[] };
      if (o.kind === 'List' && Array.isArray(o.items)) docs.push(...o.items);
      else docs.push(o);
    }
  }
  return docs;
};

const resourceLabel = (o: KubeObject): string => {
  try {
    const { info } = kindOf({ apiVersion: String(o.apiVersion), kind: String(o.kind) });
    return `${info.singular}${info.group ? `.${info.group}` : ''}/${o.metadata?.name}`;
  } catch {
    return `${String(o.kind).toLowerCase()}/${o.metadata?.name}`;
  }
};

const printObjects = (objs: KubeObject[], output: string, single: boolean): void => {
  const clean = objs.map((o) => forOutput(o as Record<string, unknown>));
  const doc = single && clean.length === 1 ? clean[0] : { apiVersion: 'v1', kind: 'List', items: clean, metadata: { resourceVersion: '' } };
  if (output === 'json') process.stdout.write(`${JSON.stringify(doc, null, 4)}\n`);
  else if (output === 'yaml') process.stdout.write(toYaml(doc));
  else if (output === 'name') for (const o of objs) process.stdout.write(`${resourceLabel(o)}\n`);
  else throw new Error(`unable to match a printer suitable for the output format "${output}", allowed formats are: json,name,wide,yaml`);
};

const indent = (text: string, n: number): string =>
  text
    .split('\n')
    .filter((l, i, a) => l !== '' || i < a.length - 1)
    .map((l) => ' '.repeat(n) + l)
    .join('\n');

const kv = (m: Record<string, string> | undefined, pad: number): string => {
  const entries = Object.entries(m ?? {});
  if (entries.length === 0) return '<none>';
  return entries.map(([k, v], i) => `${i === 0 ? '' : ' '.repeat(pad)}${k}=${v}`).join('\n');
};

export const describeText = (o: KubeObject, history: { position: number; type: string; occurredAt: string; user?: string; correlationId: string; message?: string }[]): string => {
  const meta = (o.metadata ?? {}) as Record<string, any>;
  const lines: string[] = [];
  const row = (k: string, v: string): number => lines.push(`${`${k}:`.padEnd(14)}${v}`);
  row('Name', meta.name);
  if (meta.namespace) row('Namespace', meta.namespace);
  row('Labels', kv(meta.labels, 14));
  row('Annotations', kv(meta.annotations, 14));
  row('API Version', String(o.apiVersion));
  row('Kind', String(o.kind));
  lines.push('Metadata:');
  lines.push(`  Creation Timestamp:  ${meta.creationTimestamp ?? ''}`);
  if (meta.generation !== undefined) lines.push(`  Generation:          ${meta.generation}`);
  lines.push(`  Resource Version:    ${meta.resourceVersion ?? ''}`);
  lines.push(`  UID:                 ${meta.uid ?? ''}`);
  if (Array.isArray(meta.ownerReferences) && meta.ownerReferences.length) {
    lines.push('  Owner References:');
    for (const r of meta.ownerReferences) lines.push(`    ${r.kind}/${r.name} (uid ${r.uid})`);
  }
  const { apiVersion: _a, kind: _k, metadata: _m, status, ...rest } = o as Record<string, any>;
  if (o.kind === 'Secret' && o.apiVersion === 'v1') {
    // As kubectl describe: key names and sizes, never the values.
    const data = (rest.data ?? {}) as Record<string, string>;
    delete rest.data;
    delete rest.stringData;
    lines.push('Data', '====');
    for (const [k, v] of Object.entries(data)) lines.push(`${k}:  ${Buffer.from(v, 'base64').length} bytes`);
  }
  for (const [k, v] of Object.entries(rest)) {
    if (v === undefined) continue;
    lines.push(`${k.charAt(0).toUpperCase()}${k.slice(1)}:`);
    lines.push(indent(toYaml(v), 2));
  }
  const conditions = Array.isArray(status?.conditions) ? (status.conditions as Record<string, any>[]) : [];
  if (status && Object.keys(status).length) {
    const { conditions: _c, ...other } = status as Record<string, unknown>;
    lines.push('Status:');
    if (Object.keys(other).length) lines.push(indent(toYaml(other), 2));
  }
  if (conditions.length) {
    lines.push('Conditions:');
    lines.push(
      indent(
        formatColumns(
          ['Type', 'Status', 'Reason', 'Message', 'Last Transition'],
          conditions.map((c) => [String(c.type ?? ''), String(c.status ?? ''), String(c.reason ?? ''), String(c.message ?? ''), String(c.lastTransitionTime ?? '')]),
        ),
        2,
      ),
    );
  }
  lines.push('Events:');
  if (history.length === 0) lines.push('  <none>');
  else if (history.some((h) => h.message))
    lines.push(
      indent(
        formatColumns(
          ['Age', 'Event', 'Position', 'By', 'Correlation', 'Message'],
          [...history].reverse().map((h) => [ageOf(h.occurredAt), h.type, String(h.position), h.user ?? '', h.correlationId, h.message ?? '']),
        ),
        2,
      ),
    );
  else
    lines.push(
      indent(
        formatColumns(
          ['Age', 'Event', 'Position', 'By', 'Correlation'],
          [...history].reverse().map((h) => [ageOf(h.occurredAt), h.type, String(h.position), h.user ?? '', h.correlationId]),
        ),
        2,
      ),
    );
  return lines.join('\n') + '\n';
};

export const register = (program: Command): void => {
  addGlobalApiOptions(program);

  program
    .command('apply')
    .description('Apply manifests (files, folders, - for stdin; multi-document): all or nothing')
    .requiredOption('-f, --filename <path...>', 'manifest file, folder, or - for stdin')
    .option('-n, --namespace <ns>', 'namespace for objects that do not name one', 'default')
    .option('--field-manager <name>', 'field manager of the apply', 'bosun')
    .option('--force-conflicts', 'take over fields owned by other managers')
    .option('--dry-run <mode>', 'server: validate without storing')
    .option('-o, --output <format>', 'yaml|json|name')
    .action(async (opts: { filename: string[]; namespace: string; fieldManager: string; forceConflicts?: boolean; dryRun?: string; output?: string }, cmd: Command) => {
      const client = clientFrom(cmd);
      try {
        const docs = parseManifests(readManifests(opts.filename));
        if (docs.length === 0) throw new Error('no objects passed to apply');
        const r = await client.applyAll(docs, { fieldManager: opts.fieldManager, force: Boolean(opts.forceConflicts), dryRun: opts.dryRun === 'server', namespace: opts.namespace });
        // As kubectl: the server's warnings on stderr, naming the object.
        r.items.forEach((o, i) => r.results[i]!.warnings.forEach((w) => process.stderr.write(`Warning: ${resourceLabel(o)}: ${w}\n`)));
        if (opts.output) return printObjects(r.items, opts.output, false);
        const suffix = opts.dryRun === 'server' ? ' (server dry run)' : '';
        r.items.forEach((o, i) => {
          const res = r.results[i]!;
          process.stdout.write(`${resourceLabel(o)} ${res.created ? 'created' : res.changed ? 'configured' : 'unchanged'}${suffix}\n`);
        });
      } catch (e) {
        reportError(e);
      } finally {
        client.close();
      }
    });

  program
    .command('get')
    .description('Display one or many objects (kubectl-style tables)')
    .argument('<kind>', 'kind: plural, singular, short name or Kind (svc, ippools, gateways…)')
    .argument('[names...]', 'object names')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-A, --all-namespaces', 'across all namespaces')
    .option('-l, --selector <selector>', 'label selector')
    .option('--field-selector <selector>', 'field selector (metadata.name, metadata.namespace)')
    .option('-o, --output <format>', 'wide|yaml|json|name')
    .option('--no-headers', 'omit the header row')
    .option('-w, --watch', 'after listing, watch for changes')
    .option('--show-managed-fields', 'keep metadata.managedFields in yaml/json output')
    .action(async (kind: string, names: string[], opts: { namespace: string; allNamespaces?: boolean; selector?: string; fieldSelector?: string; output?: string; headers: boolean; showManagedFields?: boolean; watch?: boolean }, cmd: Command) => {
      const client = clientFrom(cmd);
      try {
        const view = findGetView(kind);
        if (view) return await view.run(client, names, { ...(cmd.getOptionValueSource('namespace') === 'cli' && !opts.allNamespaces ? { namespace: opts.namespace } : {}), ...(opts.output ? { output: opts.output } : {}), headers: opts.headers });
        const info = resolveKindName(kind);
        if (!info) throw new Error(`the server doesn't have a resource type "${kind}"`);
        const ns = info.namespaced && !opts.allNamespaces ? opts.namespace : undefined;
        const output = opts.output ?? '';
        if (output && output !== 'wide') {
          let objs: KubeObject[];
          if (names.length) objs = await Promise.all(names.map((n) => client.get(info, n, ns)));
          else objs = (await client.list(info, { ...(ns ? { namespace: ns } : {}), ...(opts.selector ? { labelSelector: opts.selector } : {}), ...(opts.fieldSelector ? { fieldSelector: opts.fieldSelector } : {}) })).items;
          if (!opts.showManagedFields) objs = objs.map((o) => forOutput(o as Record<string, unknown>) as KubeObject);
          return printObjects(objs, output, names.length === 1);
        }
        const tables = names.length
          ? await Promise.all(names.map((n) => client.table(info, { name: n, ...(ns ? { namespace: ns } : {}) })))
          : [await client.table(info, { ...(ns ? { namespace: ns } : {}), ...(opts.selector ? { labelSelector: opts.selector } : {}), ...(opts.fieldSelector ? { fieldSelector: opts.fieldSelector } : {}) })];
        const t = { ...tables[0]!, rows: tables.flatMap((x) => x.rows) };
        const withNamespace = Boolean(info.namespaced && opts.allNamespaces);
        if (t.rows.length === 0) process.stderr.write(ns ? `No resources found in ${ns} namespace.\n` : 'No resources found\n');
        else process.stdout.write(formatTable(t, { wide: output === 'wide', withNamespace, noHeaders: !opts.headers }));
        if (!opts.watch) return;
        // Rows of later changes, aligned to the first table's columns (as kubectl get -w).
        const columns = t.columnDefinitions;
        let headerShown = t.rows.length > 0 || !opts.headers;
        const handle = client.watch(
          info,
          {
            ...(ns ? { namespace: ns } : {}),
            ...(opts.selector ? { labelSelector: opts.selector } : {}),
            ...(opts.fieldSelector ? { fieldSelector: opts.fieldSelector } : {}),
            resourceVersion: t.metadata.resourceVersion ?? '0',
            as: 'table',
          },
          (e) => {
            if (e.type === 'BOOKMARK' || e.type === 'ERROR') return;
            const ev = e.object as unknown as Table;
            if (names.length && !ev.rows.some((r) => names.includes(String(r.object?.metadata?.name)))) return;
            const out = formatTable({ ...ev, columnDefinitions: columns }, { wide: output === 'wide', withNamespace, noHeaders: headerShown });
            headerShown = true;
            process.stdout.write(out);
          },
        );
        await handle.done;
      } catch (e) {
        reportError(e);
      } finally {
        client.close();
      }
    });

  program
    .command('describe')
    .description('Show an object: spec, status, conditions and the recent events that touched it')
    .argument('<kind>', 'kind')
    .argument('[names...]', 'object names (all when omitted)')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-A, --all-namespaces', 'across all namespaces')
    .action(async (kind: string, names: string[], opts: { namespace: string; allNamespaces?: boolean }, cmd: Command) => {
      const client = clientFrom(cmd);
      try {
        const info = resolveKindName(kind);
        if (!info) throw new Error(`the server doesn't have a resource type "${kind}"`);
        const ns = info.namespaced ? (opts.allNamespaces ? undefined : opts.namespace) : undefined;
        const objs = names.length ? await Promise.all(names.map((n) => client.get(info, n, ns))) : (await client.list(info, ns ? { namespace: ns } : {})).items;
        const parts: string[] = [];
        for (const o of objs) {
          const h = await client.history(info, String(o.metadata?.name), info.namespaced ? o.metadata?.namespace : undefined);
          parts.push(describeText(o, h));
        }
        process.stdout.write(parts.join('\n\n'));
      } catch (e) {
        reportError(e);
      } finally {
        client.close();
      }
    });

  program
    .command('delete')
    .description('Delete objects by kind and name, or those in manifests (-f)')
    .argument('[kind]', 'kind')
    .argument('[names...]', 'object names')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-f, --filename <path...>', 'delete the objects in these manifests')
    .option('--ignore-not-found', 'treat "not found" as success')
    .option('--dry-run <mode>', 'server: check without deleting')
    .action(async (kind: string | undefined, names: string[], opts: { namespace: string; filename?: string[]; ignoreNotFound?: boolean; dryRun?: string }, cmd: Command) => {
      const client = clientFrom(cmd);
      try {
        const targets: { ref: Parameters<BosunClient['delete']>[0]; name: string; ns?: string; label: string }[] = [];
        if (opts.filename) {
          for (const o of parseManifests(readManifests(opts.filename))) {
            const { info } = kindOf({ apiVersion: String(o.apiVersion), kind: String(o.kind) });
            targets.push({ ref: info, name: String(o.metadata?.name), ...(info.namespaced ? { ns: o.metadata?.namespace ?? opts.namespace } : {}), label: resourceLabel(o) });
          }
        } else {
          if (!kind || names.length === 0) throw new Error('resource(s) were provided, but no name was specified');
          const info = resolveKindName(kind);
          if (!info) throw new Error(`the server doesn't have a resource type "${kind}"`);
          for (const n of names) targets.push({ ref: info, name: n, ...(info.namespaced ? { ns: opts.namespace } : {}), label: `${info.singular}${info.group ? `.${info.group}` : ''}/${n}` });
        }
        let failed = false;
        for (const t of targets) {
          try {
            await client.delete(t.ref, t.name, t.ns, { dryRun: opts.dryRun === 'server' });
            process.stdout.write(`${t.label} deleted${opts.dryRun === 'server' ? ' (server dry run)' : ''}\n`);
          } catch (e) {
            if (e instanceof ApiStatusError && e.code === 404 && opts.ignoreNotFound) continue;
            if (e instanceof ApiStatusError) {
              process.stderr.write(`Error from server (${e.reason}): ${e.message}\n`);
              failed = true;
            } else throw e;
          }
        }
        if (failed) process.exitCode = 1;
      } catch (e) {
        reportError(e);
      } finally {
        client.close();
      }
    });
};
