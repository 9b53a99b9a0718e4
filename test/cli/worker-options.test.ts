import { describe, expect, it } from 'vitest';
import { runInProcess } from '../helpers/in-process.js';

/** `trailproof worker --log-threads N`: the cores of a machine divided among its workers (README "Distributed audit"). */
describe('worker --log-threads', () => {
  it('is listed in the help with its default', async () => {
    const r = await runInProcess(['worker', '--help']);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/--log-threads N[\s\S]*one per core/);
  });

  it('refuses 0, 257 and a non-number as usage mistakes (exit 2), before any connection', async () => {
    for (const bad of ['0', '257', 'two']) {
      const r = await runInProcess(['worker', '--queue', 'redis://127.0.0.1:1/0', '--queue-key', '/nonexistent/queue.key', '--log-threads', bad]);
      expect(r.status, bad).toBe(2);
      expect(r.err).toContain('--log-threads');
      expect(r.out).toBe('');
    }
  });
});
