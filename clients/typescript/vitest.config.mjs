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
  },
});
