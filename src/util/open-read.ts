import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/**
 * Opens a file given by the user (a state file, an S3 Inventory manifest or data file) to read it.
 * Without blocking: a plain open of a FIFO waits for a writer forever, where this returns at once
 * and the caller's check that it is a regular file stops the run.
 */
export function openToRead(path: string): Promise<FileHandle> {
  return open(path, constants.O_RDONLY | constants.O_NONBLOCK);
}
