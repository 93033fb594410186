// The console's unit tests (services/gateway/tests/console/*.test.js): the pieces with logic,
// run by Vitest in a simulated DOM (happy-dom), from the repository's root so a test imports the
// console's own modules by their paths. `make test` runs them before the Python tests.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  // Its caches stay with the tools, not at the repository's root.
  cacheDir: fileURLToPath(new URL("node_modules/.vite", import.meta.url)),
  test: {
    include: ["services/gateway/tests/console/**/*.test.js"],
    environment: "happy-dom",
    globals: true,
    fsModuleCachePath: fileURLToPath(new URL("node_modules/.vitest-cache", import.meta.url)),
    // The same answers on every machine: days and moments in one time zone that has summer time
    // (so a test sees a 23- and a 25-hour day), whatever the machine's own zone is.
    env: { TZ: "Europe/Kyiv" },
    // Each file in a fresh page of its own (its storage, its modules' state), said outright so
    // Vitest does not suggest sharing workers; tests in their written order; a stubbed global
    // (fetch) and a spy put back after each test, so no test leans on the one before.
    isolate: true,
    // Child processes, each file in a VM context of its own (its page, storage and modules
    // fresh) while the simulated DOM is set up once per process: the run takes a third of the
    // time it takes with a process per file, and the zone above is each process's own.
    pool: "vmForks",
    sequence: { shuffle: false },
    unstubGlobals: true,
    restoreMocks: true,
    // A test still running after five seconds is waiting for something that never comes.
    testTimeout: 5000,
  },
});
