// Loaded with `node --import` (NODE_OPTIONS) by the test of a missing optional pkcs11js: resolving
// `pkcs11js` fails as it does when the package is not installed (ERR_MODULE_NOT_FOUND).
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`export async function resolve(specifier, context, next) {
  if (specifier === 'pkcs11js') {
    const err = new Error("Cannot find package 'pkcs11js'");
    err.code = 'ERR_MODULE_NOT_FOUND';
    throw err;
  }
  return next(specifier, context);
}`),
);
