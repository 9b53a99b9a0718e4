import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { digestKey } from '../../src/format/names.js';
import { MICROS_PER_HOUR } from '../../src/format/time.js';
import { runInProcess } from '../helpers/in-process.js';
import { parseJunit } from '../helpers/junit-parse.js';
import { localAuditArgs, objectPath, plantUnreferencedLog } from '../helpers/org-archive.js';
import { lacks } from '../helpers/system-tools.js';
import { jsonLines, twinPerFile } from '../helpers/twin-archive.js';

/**
 * A log folder's chains are checked as one group (held-chains.ts), whatever the ids of the other
 * chains in the bucket: a hostile prefix holding `|` sorts a chain of another folder between two
 * chains of one folder in id order. And a folder whose left-out chain cannot be read stops the run
 * under that folder's last chain, in every report.
 */
const { twin, fresh } = twinPerFile();

type Rec = Record<string, unknown>;
const findingsOf = (out: string): Rec[] => jsonLines(out).filter((x) => x.kind === 'finding');

/** A garbage digest of a trail `ghost` under a prefix that sorts, as a chain id, between the twins. */
async function plantGhost(copy: ReturnType<typeof fresh>): Promise<{ key: string; prefix: string }> {
  const prefix = `||${twin().first.scope.account}|${twin().first.scope.sourceRegion}|${twin().first.scope.trailName}|f`;
  const key = digestKey({ ...twin().first.scope, prefix, trailName: 'ghost' }, twin().archive.start + 2 * MICROS_PER_HOUR);
  await copy.store.put(copy.bucket, key, gzipSync('{}'));
  return { key, prefix };
}

describe("a chain of another folder sorting between one folder's chains", () => {
  it("the folder is still checked against both of its chains: only the ghost's own errors", async () => {
    const copy = fresh();
    const ghost = await plantGhost(copy);
    const r = await runInProcess([...localAuditArgs(twin().archive, copy.root), '--output', 'json']);
    const findings = findingsOf(r.out);
    expect(findings.length).toBeGreaterThan(0);
    for (const f of findings) expect(f.prefix, JSON.stringify(f)).toBe(ghost.prefix);
    expect(findings.filter((f) => f.code === 'unreferenced-log')).toEqual([]);
  });

  it('with --state, a planted log in that folder is reported again until it is gone', async () => {
    const copy = fresh();
    const ghost = await plantGhost(copy);
    const planted = await plantUnreferencedLog(copy, twin().first, 1);
    const state = `${copy.root}.state.json`;
    const args = [...localAuditArgs(twin().archive, copy.root), '--state', state, '--output', 'json'];
    const unreferenced = (out: string) =>
      findingsOf(out)
        .filter((f) => f.code === 'unreferenced-log')
        .map((f) => f.s3);
    const first = await runInProcess(args);
    expect(unreferenced(first.out)).toEqual([`s3://${copy.bucket}/${planted.key}`]);
    rmSync(objectPath(copy, ghost.key));
    const second = await runInProcess(args);
    expect(second.status).toBe(1);
    expect(unreferenced(second.out)).toEqual([`s3://${copy.bucket}/${planted.key}`]);
  });
});

describe("a left-out chain's digest that cannot be read", () => {
  it.skipIf(lacks('junitparser'))('stops the run under the folder`s last audited chain: text, JSON and JUnit say so', async () => {
    const copy = fresh();
    const fifo = objectPath(copy, twin().last.digestKeys[2]!);
    rmSync(fifo);
    execFileSync('mkfifo', [fifo]);
    const junit = `${copy.root}.junit.xml`;
    const args = [...localAuditArgs(twin().archive, copy.root), '--trail-arn', twin().first.trailArn];
    const text = await runInProcess([...args, '--junit', junit]);
    expect(text.status).toBe(255);
    expect(text.out).toMatch(new RegExp(`^${twin().first.scope.account} .*; STOPPED: .+$`, 'm'));
    const json = await runInProcess([...args, '--output', 'json']);
    const chain = jsonLines(json.out).find((x) => x.kind === 'chain')!;
    expect(chain.homeRegion).toBe(twin().first.scope.homeRegion);
    expect(String(chain.error)).toContain(twin().last.digestKeys[2]!.split('/').at(-1)!);
    const stopped = parseJunit(junit).flatMap((s) => s.cases.flatMap((c) => c.results.filter((x) => x.tag === 'error')));
    expect(stopped.map((x) => x.type)).toEqual(['stopped']);
    expect(readFileSync(junit, 'utf8')).toContain('type="stopped"');
  });
});
