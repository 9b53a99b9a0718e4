import type { Digest } from '../format/digest.js';

/** What the chain machine reports, in report order (times are UTC clock micros). */
export type ChainEvent =
  | {
      readonly kind: 'valid';
      readonly backfill: boolean;
      readonly bucket: string;
      readonly key: string;
      readonly digest: Digest;
      readonly signature: string;
      readonly algorithm: string;
      /** The digest object has bytes after its gzip member (validate-logs ignores them; the audit reports them). */
      readonly trailing?: boolean;
    }
  | { readonly kind: 'invalid'; readonly backfill: boolean; readonly bucket: string; readonly key: string; readonly reason: string }
  | { readonly kind: 'gap'; readonly backfill: boolean; readonly from: number; readonly to: number };
