import { afterAll, describe, expect, it } from 'vitest';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthRegistry, ObservabilityLifecycle, ObservabilityModule } from './index';

describe('ObservabilityModule', () => {
  const apps: Array<{ close(): Promise<void> }> = [];
  afterAll(async () => {
    for (const a of apps) await a.close();
  });

  it('mounts /healthz, /readyz and /metrics into an app that serves HTTP', async () => {
    @Module({ imports: [ObservabilityModule.forRoot({ component: 'unit-api', mount: true })] })
    class ApiModule {}
    const app = await NestFactory.create(ApiModule, { logger: false });
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    const url = await app.getUrl();
    const h = app.get(HealthRegistry);
    h.addReadinessCheck('unit-eventstore', () => false);
    const r = await fetch(`${url.replace('[::1]', '127.0.0.1')}/readyz`);
    expect(r.status).toBe(503);
    expect(await r.text()).toContain('[-]unit-eventstore failed');
    h.removeCheck('unit-eventstore');
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${url}/metrics`)).text()).toContain('process_cpu_user_seconds_total');
  });

  it('starts a standalone listener for apps without HTTP', async () => {
    @Module({ imports: [ObservabilityModule.forRoot({ component: 'unit-agent', listen: '127.0.0.1:0' })] })
    class AgentModule {}
    const app = await NestFactory.createApplicationContext(AgentModule, { logger: false });
    apps.push(app);
    await app.init();
    const address = app.get(ObservabilityLifecycle).address;
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect((await fetch(`http://${address}/healthz`)).status).toBe(200);
  });
});
