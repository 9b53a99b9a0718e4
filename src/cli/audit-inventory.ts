import { resolve } from 'node:path';
import { formatDisplay } from '../format/time.js';
import { openInventory } from '../store/inventory-open.js';
import type { InventoryStore } from '../store/inventory-store.js';
import type { ObjectStore } from '../store/types.js';

/**
 * `audit --inventory MANIFEST` (README "Distributed audit"): the audited bucket's listings from an
 * S3 Inventory report. A report is a snapshot: what was delivered after S3 began it is not in it,
 * so a window that ends later gets one notice on stderr (the report on stdout is unchanged).
 */
export interface AuditInventory {
  readonly store: InventoryStore;
  /** Where workers read the same report: s3://... as given, a file as an absolute path. */
  readonly location: string;
  readonly sha256: string;
}

export async function openAuditInventory(at: string, store: ObjectStore, bucket: string, end: number, err: (text: string) => void): Promise<AuditInventory> {
  const location = at.startsWith('s3://') ? at : resolve(at);
  const opened = await openInventory(location, store, bucket);
  const created = opened.manifest.creationTimestamp * 1000;
  if (end > created) {
    err(
      `notice: the S3 Inventory report was begun at ${formatDisplay(created)}, before --end-time ${formatDisplay(end)}: ` +
        'objects delivered after it are not in the report, so the audit does not see them\n',
    );
  }
  return { store: opened.store, location, sha256: opened.sha256 };
}
