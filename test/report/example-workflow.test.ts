import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUDIT_OPTIONS } from '../../src/cli/audit.js';
import { ROOT } from '../helpers/cli.js';

/** The GitHub workflow example uses only options that `trailproof audit` has (it cannot drift from the CLI). */
describe('examples/github-actions', () => {
  it('trailproof-audit.yml runs trailproof audit with its own options, and the caller points at it', () => {
    const text = readFileSync(join(ROOT, 'examples', 'github-actions', 'trailproof-audit.yml'), 'utf8');
    const run = text.slice(text.indexOf('mkdir -p reports'));
    const used = [...run.matchAll(/(?<![\w-])--([a-z][a-z0-9-]+)/g)].map((m) => m[1]!);
    expect(used).toEqual(expect.arrayContaining(['s3-bucket', 'start-time', 'state', 'junit', 'html', 'fail-on', 's3-prefix']));
    const names = new Set(AUDIT_OPTIONS.map((o) => o.name));
    expect(used.filter((u) => !names.has(u))).toEqual([]);
    expect(text).toMatch(/^on:\n {2}workflow_call:/m);
    const caller = readFileSync(join(ROOT, 'examples', 'github-actions', 'scheduled-audit.yml'), 'utf8');
    expect(caller).toMatch(/schedule:\n\s+- cron: '[^']+'/);
    expect(caller).toContain('uses: ./.github/workflows/trailproof-audit.yml');
  });
});
