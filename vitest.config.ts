import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/GlobalSetup.ts"],
    pool: "forks",
    // Test files share their worker's loaded modules: loading effect and the service afresh for each of
    // 38 files was a third of the run. No test mocks modules or changes process.env; each builds its own layers.
    isolate: false,
    // Two cores: more workers only make the subprocess tests slower.
    maxWorkers: 2,
    minWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
