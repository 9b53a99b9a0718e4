/**
 * One error class for every expected failure. `code` says which domain it comes from; the CLI's
 * top-level handler maps it to an exit code and a one-line message. Anything that is not a
 * TrailproofError reaching the top is a bug and is reported as such (never as a stack trace).
 */
export type ErrorCode =
  | 'usage' // bad or missing CLI arguments (exit 2, like argparse)
  | 'argument' // an argument value the reference rejects (exit 255)
  | 'keys' // a public keys file or key store that cannot be trusted
  | 'input' // an input file that cannot be read or parsed
  | 'format' // bytes that are not what they claim (hex, DER, a digest field): reported as a verdict, not a stop
  | 'storage' // the object store failed (missing bucket, access, network)
  | 'signer' // the signer cannot go on
  | 'internal';

export class TrailproofError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrailproofError';
    this.code = code;
  }
}

/** validate-logs found something INVALID (behaviour §5). */
export const EXIT_INVALID = 1;
/** The exit code the AWS CLI uses for an error that stops a command. */
export const EXIT_FATAL = 255;
/** The exit code argparse uses for a usage error. */
export const EXIT_USAGE = 2;

export function exitCodeFor(err: TrailproofError): number {
  return err.code === 'usage' ? EXIT_USAGE : EXIT_FATAL;
}

/** The message of any thrown value, without a stack. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
