import { expect } from 'vitest';
import { StoreError } from '../../src/store/errors.js';

/** The StoreError a promise rejects with (the test fails if it resolves or rejects with anything else). */
export async function storeError(p: Promise<unknown>): Promise<StoreError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return err as StoreError;
  }
  throw new Error('expected a StoreError');
}
