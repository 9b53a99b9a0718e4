// Loaded with `node --import` by tests whose child processes run trailproof modules from the
// TypeScript sources (src/*.ts), never from a build in dist/: see ts-sources-hooks.mjs.
import { register } from 'node:module';

register(new URL('./ts-sources-hooks.mjs', import.meta.url));
