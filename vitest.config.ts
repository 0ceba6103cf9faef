import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests start their own Dovecot/SMTP servers on free ports; keep files in
    // parallel but cap workers for the 2-core CI machine.
    maxWorkers: 2,
  },
});
