import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { chainId } from '../../src/format/archive-keys.js';
import { LocalStore } from '../../src/store/local.js';
import { tempDir } from './cli.js';
import { buildOrgArchive, type ArchiveChain, type OrgArchive } from './org-archive.js';

/**
 * Two trails of one name in two home regions, logging into one bucket (no prefix) for the same
 * source region: two chains that share their log folder. Built apart (each trail's signer sees its
 * own logs only, as CloudTrail's would), then copied into one bucket. `chains` in chain-id order
 * (the audit's report order): `first` is audited first (home eu-west-1), `last` last.
 */
export interface TwinArchive {
  readonly archive: OrgArchive;
  readonly first: ArchiveChain;
  readonly last: ArchiveChain;
  /** A copy of `last`'s objects alone, as built, for `--local-root` with `archive`'s keys (copy it before changing it). */
  readonly singleRoot: string;
}

export const TWIN_ACCOUNT = '111122223333';
export const TWIN_TRAIL = 'audit-trail';

export async function buildTwinArchive(dir: string, hours = 6): Promise<TwinArchive> {
  const parts: OrgArchive[] = [];
  for (const home of ['us-east-1', 'eu-west-1'])
    parts.push(
      await buildOrgArchive({
        accounts: [TWIN_ACCOUNT],
        regions: ['us-east-1'],
        hours,
        trails: [{ name: TWIN_TRAIL, homeRegion: home }],
        seed: `twin-${home}`,
        dir: join(dir, home),
      }),
    );
  const [archive, other] = parts as [OrgArchive, OrgArchive];
  const singleRoot = join(dir, 'single-root');
  cpSync(archive.root, singleRoot, { recursive: true });
  cpSync(other.root, archive.root, { recursive: true, force: false, errorOnExist: true });
  const chains = [...archive.chains, ...other.chains].sort((a, b) => (chainId(a.scope) < chainId(b.scope) ? -1 : 1));
  if (chains.length !== 2 || chains[0]!.logPrefix !== chains[1]!.logPrefix) throw new Error('the twin trails do not share their log folder');
  if (chains[1]!.scope.homeRegion !== archive.chains[0]!.scope.homeRegion) throw new Error('the single-trail copy is not the last chain');
  return { archive, first: chains[0]!, last: chains[1]!, singleRoot };
}

/** A copy of an archive's objects under `root`, with a store over it (for the tamper helpers) and the audit's arguments. */
export function copyArchive(a: OrgArchive, root: string): { root: string; bucket: string; store: LocalStore; start: number } {
  cpSync(a.root, root, { recursive: true });
  return { root, bucket: a.bucket, store: new LocalStore(root), start: a.start };
}

/**
 * One twin archive for a test file (built before its tests, removed after) and fresh copies of it,
 * one per call, to change at will.
 */
export function twinPerFile(hours = 6): { twin: () => TwinArchive; fresh: () => ReturnType<typeof copyArchive>; dir: () => string } {
  let dir: { path: string; cleanup: () => void } | undefined;
  let twin: TwinArchive | undefined;
  let copies = 0;
  beforeAll(async () => {
    dir = tempDir();
    twin = await buildTwinArchive(join(dir.path, 'build'), hours);
  }, 180_000);
  afterAll(() => dir?.cleanup());
  return { twin: () => twin!, fresh: () => copyArchive(twin!.archive, join(dir!.path, `copy-${copies++}`)), dir: () => dir!.path };
}

/** JSON lines (audit --output json) as records. */
export function jsonLines(out: string): Array<Record<string, unknown>> {
  return out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
