// Loaded with `node --import` by tests that check when the AWS SDK is loaded: every `@aws-sdk/` or
// `@smithy/` specifier an ES module resolves goes, one a line, to the file named by
// TRAILPROOF_TEST_SDK_IMPORTS (nothing is printed). The resolve hook runs on the loader thread.
import { register } from 'node:module';

const file = process.env.TRAILPROOF_TEST_SDK_IMPORTS;
if (file) register(new URL('./sdk-imports-hooks.mjs', import.meta.url), { data: { file } });
