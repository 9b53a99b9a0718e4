/**
 * File-system errors in words. Node's messages carry the raw errno code and the syscall
 * (`ENOENT: no such file or directory, open '...'`); a user message says what is wrong instead.
 */
const WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'does not exist',
  ENOTDIR: 'is not a folder',
  EISDIR: 'is a folder, not a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EEXIST: 'already exists',
  ENOTEMPTY: 'is a folder that is not empty',
  ELOOP: 'has too many levels of symbolic links',
  ENAMETOOLONG: 'has a name that is too long',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'is on a read-only file system',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EBUSY: 'is busy',
  EIO: 'input/output error',
  EXDEV: 'cannot be moved across file systems',
};

/**
 * What went wrong, in words, for a message like `Cannot read <what> <path>: <this>`. Never the raw
 * code: an unknown code falls back to the system's own text without the code, syscall and path.
 */
export function describeFsError(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && Object.hasOwn(WORDS, code)) return WORDS[code]!;
  const message = err instanceof Error ? err.message : String(err);
  // `ECODE: text, syscall 'path'` -> `text`
  const m = /^[A-Z][A-Z0-9_]+: ([^,]+)(?:,|$)/.exec(message);
  const text = m ? m[1]!.trim() : message.split('\n')[0]!.trim();
  return text === '' ? 'cannot be read' : text;
}

export function errnoCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** ENOENT and ENOTDIR: nothing is at that path (as opposed to something that cannot be read). */
export function isAbsent(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}
