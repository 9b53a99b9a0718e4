import type { PublicKeySource } from '../keys/types.js';
import type { ObjectStore } from '../store/types.js';
import type { DigestScope } from '../format/names.js';
import type { ValidateOptions } from '../verifier/validate.js';
import type { ChainMark } from './state.js';
import type { Finding } from './types.js';

/** What `runAudit` is given (run.ts). */
export interface AuditFilters {
  readonly accounts?: readonly string[] | undefined;
  readonly regions?: readonly string[] | undefined;
  /** `--trail-arn`: account, home region and trail name. */
  readonly trails?: ReadonlyArray<{ readonly account: string; readonly region: string; readonly name: string }> | undefined;
}

export interface AuditOptions {
  readonly store: ObjectStore;
  readonly bucket: string;
  readonly prefix?: string | undefined;
  readonly keys: PublicKeySource;
  /** UTC clock micros. */
  readonly start: number;
  readonly end: number;
  readonly filters?: AuditFilters | undefined;
  readonly failOn?: 'error' | 'warning' | 'never';
  /** Log files in flight per chain, and chains at once. */
  readonly concurrency: number;
  readonly chainsAtOnce?: number;
  readonly readAhead?: number;
  /** Called as chains finish (progress lines). */
  readonly onProgress?: (done: number, total: number, files: number) => void;
  /** Keep validate-logs' own events of each chain for the sink (verbose reports). */
  readonly verbose?: boolean;
  /**
   * Give the sink one compact record per digest and gap of each chain (AuditSink.record: the HTML
   * and JUnit reports), without keeping every log event as `verbose` does.
   */
  readonly records?: boolean;
  /**
   * The kept state (--state, state.ts), by chain id: each marked chain starts where its mark ends
   * and must link back to it; the map is updated with each chain's next mark as the run goes.
   */
  readonly state?: Map<string, ChainMark> | undefined;
  /** `--witness`: findings from the witness's record of each chain (witness-findings.ts). */
  readonly witness?: ((scope: DigestScope) => Promise<Finding[]>) | undefined;
  /** The chains the witness holds records of (with `witness`): one the archive lost is checked too (vanished.ts). */
  readonly witnessedChains?: (() => AsyncIterable<DigestScope>) | undefined;
  /**
   * A distributed audit (src/distributed/): the chains' walks are done by workers and replayed here
   * through the same core, so that the sink gets the same calls as a local run.
   */
  readonly remote?: RemoteWalks | undefined;
}

/** A chain as the audit takes it: its id, scope, where its walk starts, and its newest digest stamp. */
export interface PlannedChain {
  readonly id: string;
  readonly scope: DigestScope;
  readonly start: number;
  readonly newestStamp: string;
}

/** Where the chains' walks come from in a distributed audit. */
export interface RemoteWalks {
  /** Every chain the audit takes, in report order, once discovery is done (the work can start). */
  plan(chains: readonly PlannedChain[], end: number): Promise<void>;
  /** One chain's walk and log results, to replay in runValidation. */
  chain(id: string): Promise<Pick<ValidateOptions, 'walk' | 'logChecker'>>;
}
