import { describe, expect, it } from 'vitest';
import { Supervisor } from './agent-supervisor';

const waitUntil = async (f: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('agent supervisor', () => {
  it('restarts a child that dies and stops children with SIGTERM', async () => {
    const exits: Array<[string, number | null, string | null]> = [];
    const lines: string[] = [];
    const sup = new Supervisor({ onExit: (n, c, s) => exits.push([n, c, s]), onOutput: (_n, l) => lines.push(l) });
    sup.start([
      // exits at once: restarted
      { name: 'crashy', command: process.execPath, args: ['-e', 'console.log("up " + process.env.BOSUN_NODE_NAME); process.exit(3)'], env: { ...process.env, BOSUN_NODE_NAME: 'node-1' } },
      // runs until SIGTERM, then exits cleanly
      { name: 'steady', command: process.execPath, args: ['-e', 'process.on("SIGTERM", () => process.exit(0)); setInterval(() => {}, 1000); console.log("ready")'], env: process.env },
    ]);
    await waitUntil(() => sup.restarts('crashy') >= 2 && lines.includes('ready'));
    expect(lines).toContain('up node-1');
    const steadyPid = sup.pid('steady');
    expect(steadyPid).toBeGreaterThan(0);
    await sup.stop(5000);
    expect(exits.filter(([n]) => n === 'crashy').every(([, c]) => c === 3)).toBe(true);
    expect(exits).toContainEqual(['steady', 0, null]);
    expect(() => process.kill(steadyPid!, 0)).toThrow();
  });

  it('SIGKILLs a child that ignores SIGTERM after the grace period', async () => {
    const exits: Array<[string, number | null, string | null]> = [];
    const lines: string[] = [];
    const sup = new Supervisor({ onExit: (n, c, s) => exits.push([n, c, s]), onOutput: (_n, l) => lines.push(l) });
    sup.start([{ name: 'stubborn', command: process.execPath, args: ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000); console.log("ready")'], env: process.env }]);
    await waitUntil(() => lines.includes('ready'));
    await sup.stop(300);
    expect(exits).toEqual([['stubborn', null, 'SIGKILL']]);
  });
});
