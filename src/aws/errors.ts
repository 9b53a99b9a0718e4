import { STATUS_CODES } from 'node:http';
import { messageOf } from '../errors.js';
import { NO_SUCH_BUCKET_TEXT, StoreError, type StoreErrorKind } from '../store/errors.js';
import { requestUrlOf } from './request-url.js';

/**
 * SDK and transport failures turned, at the boundary, into a StoreError with the AWS CLI's one-line
 * message for them (behaviour §1: the run stops with exit 255 and botocore's own wording). The error
 * is untrusted server output: only its code, HTTP status and message are read, the message folded to
 * one line.
 */

interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  Code?: unknown;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

function shape(err: unknown): SdkErrorShape {
  return typeof err === 'object' && err !== null ? (err as SdkErrorShape) : {};
}

/** The service's error code (S3: `<Code>`), never its message (RGW sends empty messages). */
export function errorCode(err: unknown): string | undefined {
  const e = shape(err);
  if (typeof e.Code === 'string' && e.Code !== '') return e.Code;
  if (e.$metadata?.httpStatusCode !== undefined && typeof e.name === 'string') return e.name;
  return undefined;
}

export function httpStatus(err: unknown): number | undefined {
  return shape(err).$metadata?.httpStatusCode;
}

/** AWS's own wording, for servers that leave `<Message>` empty. */
const KNOWN_MESSAGES: Record<string, string> = {
  NoSuchBucket: NO_SUCH_BUCKET_TEXT,
  NoSuchKey: 'The specified key does not exist.',
  AccessDenied: 'Access Denied',
  InvalidAccessKeyId: 'The AWS Access Key Id you provided does not exist in our records.',
  SignatureDoesNotMatch: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  RequestTimeTooSkewed: 'The difference between the request time and the current time is too large.',
  SlowDown: 'Please reduce your request rate.',
  InternalError: 'We encountered an internal error. Please try again.',
};

const DENIED = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'UnrecognizedClientException']);
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN']);
const CLOSED = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Any SDK failure as a StoreError with the AWS CLI's one-line message for it. */
export function awsError(err: unknown, operation: string): StoreError {
  if (err instanceof StoreError) return err;
  const e = shape(err);
  const name = typeof e.name === 'string' ? e.name : '';
  const sysCode = typeof e.code === 'string' ? e.code : '';
  const url = requestUrlOf(err);
  const at = url !== undefined ? `: "${url}"` : '';
  const fail = (kind: StoreErrorKind, message: string) => new StoreError(kind, message, { cause: err });
  if (name === 'CredentialsProviderError') {
    return fail('AccessDenied', 'Unable to locate credentials. You can configure credentials by running "aws configure".');
  }
  if (UNREACHABLE.has(sysCode)) return fail('Unreachable', `Could not connect to the endpoint URL${at}`);
  if (CLOSED.has(sysCode)) return fail('Unreachable', `Connection was closed before we received a valid response from endpoint URL${at}.`);
  if (name === 'TimeoutError' || sysCode === 'ETIMEDOUT') {
    const connect = /did not establish a connection/.test(messageOf(err));
    return fail('Unreachable', `${connect ? 'Connect' : 'Read'} timeout on endpoint URL${at}`);
  }
  if (/^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED)/.test(sysCode)) {
    return fail('Unreachable', `SSL validation failed for ${url ?? 'the endpoint'} ${oneLine(messageOf(err))}`);
  }
  const status = httpStatus(err);
  if (status !== undefined) {
    let code = errorCode(err) ?? '';
    let message = oneLine(typeof e.message === 'string' ? e.message : '');
    if (code === '' || code === 'Unknown' || code === 'UnknownError' || ((code === 'NotFound' || code === 'Forbidden') && message === 'UnknownError')) {
      code = String(status);
    }
    if (message === '' || message === 'UnknownError' || message === code) message = KNOWN_MESSAGES[code] ?? STATUS_CODES[status] ?? 'Unknown';
    const attempts = e.$metadata?.attempts ?? 1;
    const retries = attempts > 1 ? ` (reached max retries: ${attempts - 1})` : '';
    const kind: StoreErrorKind = DENIED.has(code) || status === 403 ? 'AccessDenied' : code === 'NoSuchBucket' ? 'NoSuchBucket' : 'Other';
    return fail(kind, `An error occurred (${code}) when calling the ${operation} operation${retries}: ${message}`);
  }
  return fail('Other', `An error occurred when calling the ${operation} operation: ${oneLine(messageOf(err)) || name || 'Unknown'}`);
}

/** A bucket operation's failure: a missing bucket by its code (RGW leaves the message empty), in AWS's words. */
export function bucketError(err: unknown, operation: string): StoreError {
  if (errorCode(err) === 'NoSuchBucket') {
    return new StoreError('NoSuchBucket', `An error occurred (NoSuchBucket) when calling the ${operation} operation: ${KNOWN_MESSAGES.NoSuchBucket}`, {
      cause: err,
    });
  }
  return awsError(err, operation);
}
