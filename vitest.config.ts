import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native addons are safest in child processes; one libtorch thread per worker on 2 cores.
    pool: 'forks',
    maxWorkers: 2,
    env: { GANTRY_THREADS: '1' },
    testTimeout: 120_000,
  },
});
