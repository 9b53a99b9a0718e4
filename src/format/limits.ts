/**
 * Sizes trailproof reads for a digest (one source for the verifier, the signer and
 * export-signatures). A digest lists an hour's log files of one account and region, about 250
 * bytes each: 32 MiB is some 130,000 log files in an hour. Anything larger is refused whole
 * ("too large", the run stops) rather than read into memory: a gzip bomb or a digest padded with
 * a million entries cannot push memory past a fixed bound.
 */
export const MAX_DIGEST_BYTES = 32 << 20;
/** Compressed: a digest never compresses to more than its inflated size. */
export const MAX_COMPRESSED_DIGEST = 32 << 20;

/**
 * An audit state file (`audit --state`): about 400 bytes a chain, so 64 MiB holds some 150,000
 * chains. A larger one is refused rather than read into memory.
 */
export const MAX_STATE_BYTES = 64 << 20;
