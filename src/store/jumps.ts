import { byteCompare } from './names.js';

/**
 * ListOptions.jump over a flat listing (S3's pages): keys up to the floor are passed over, and a
 * jump raises the floor; the caller reads `floor.after` before each further request, to start it
 * there when the page ended before it.
 */
export async function* followJumps(
  pages: AsyncIterable<{ readonly keys: readonly string[] }>,
  jump: (key: string) => string | undefined,
  floor: { after: string | undefined },
): AsyncGenerator<string> {
  for await (const page of pages) {
    for (const key of page.keys) {
      if (floor.after !== undefined && byteCompare(key, floor.after) <= 0) continue;
      const to = jump(key);
      if (to !== undefined && byteCompare(to, key) >= 0) {
        floor.after = to;
        continue;
      }
      yield key;
    }
  }
}
