/**
 * trailproof's library API: small and deliberate. The CLI is built on exactly these.
 */
export { TrailproofError, type ErrorCode } from './errors.js';
export { parseTrailArn, type TrailArn } from './format/arn.js';
export { parseDate, formatDisplay, formatStamp, type ParsedTime } from './format/time.js';
export { digestKey, logKey, digestListPrefix, createDigestKeyMatcher, type DigestScope } from './format/names.js';
export { dataSigningString, type SigningFields } from './format/signing.js';
export { parsePublicKeysJson, formatPublicKeysJson, selectOverlapping, type PublicKeyEntry } from './keys/public-keys.js';
export { entriesSource } from './keys/source.js';
export { KeyStore, type KeyRecord } from './keys/keystore.js';
export { LocalStore } from './store/local.js';
export { StoreError } from './store/errors.js';
export type { ObjectStore, StoredObject, Metadata, ListOptions } from './store/types.js';
export { runValidation, type ValidateOptions } from './verifier/validate.js';
export { TextReport } from './verifier/report-text.js';
export { JsonReport } from './verifier/report-json.js';
export { createOutput, memoryOutput, type Output } from './verifier/output.js';
export type { ReportEvent, ReportSink, RunSummary } from './verifier/types.js';
export type { PublicKeySource, PublicKeyRecord } from './keys/types.js';
export { signRegion, type SignOptions, type SignResult } from './signer/sign.js';
export { backfillRegion, type BackfillOptions } from './signer/backfill.js';
export { simulateDelivery } from './simulate/deliver.js';
export { runAudit, type AuditOptions, type AuditFilters } from './audit/run.js';
export { AuditTextReport, AuditJsonReport } from './audit/reports.js';
export type { AuditSink, AuditSummary, ChainSummary, Finding, FindingCode, Severity } from './audit/types.js';
