// The module hooks of sdk-imports-preload.mjs: records SDK specifiers, resolves everything as usual.
import { appendFileSync } from 'node:fs';

let file;

export function initialize(data) {
  file = data.file;
}

export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@aws-sdk/') || specifier.startsWith('@smithy/')) appendFileSync(file, `${specifier}\n`);
  return next(specifier, context);
}
