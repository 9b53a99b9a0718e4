// Loaded with `node --import` by tests that check when the AWS SDK is loaded: every `@aws-sdk/` or
// `@smithy/` specifier an ES module resolves, or a CommonJS `require` asks for, goes, one a line, to
// the file named by TRAILPROOF_TEST_SDK_IMPORTS (nothing is printed). The resolve hook runs on the
// loader thread; `require` is watched here (src/aws loads CommonJS packages with createRequire).
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';

const file = process.env.TRAILPROOF_TEST_SDK_IMPORTS;
if (file) {
  register(new URL('./sdk-imports-hooks.mjs', import.meta.url), { data: { file } });
  const require = Module.prototype.require;
  Module.prototype.require = function (id, ...rest) {
    if (typeof id === 'string' && (id.startsWith('@aws-sdk/') || id.startsWith('@smithy/'))) appendFileSync(file, `${id}\n`);
    return require.call(this, id, ...rest);
  };
}
