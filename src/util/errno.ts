/**
 * File-system errors in words, for one-line messages (no raw errno codes in what users read).
 * Absent means "there is no such thing here": S3 has no object at such a path either.
 */
const WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'does not exist',
  ENOTDIR: 'a part of its path is not a folder',
  EISDIR: 'is a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EIO: 'input/output error',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  EEXIST: 'already exists',
  EBUSY: 'busy',
};

export function errnoCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function describeFsError(err: unknown): string {
  const code = errnoCode(err);
  if (code !== undefined && WORDS[code]) return WORDS[code];
  if (code !== undefined) return `system error ${code.toLowerCase()}`;
  return err instanceof Error ? err.message : String(err);
}

/** ENOENT and ENOTDIR: nothing is at that path (as opposed to something that cannot be read). */
export function isAbsent(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}
