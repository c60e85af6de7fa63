import { defineConfig } from 'vitest/config';
import { scaled } from './test/helpers/time-scale.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // hang guards, longer on a slow machine ($IIOT_TEST_TIME_SCALE; npm run test:busy sets it)
    testTimeout: scaled(60_000),
    hookTimeout: scaled(60_000),
    // Servers bind real ports; two cores: keep parallelism modest.
    maxWorkers: 2,
  },
});
