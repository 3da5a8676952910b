import { defineConfig } from "@playwright/test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

// The hub under test: built by .ci/test (HUB_BIN), on a fresh data dir, sandbox on.
const port = Number(process.env.HUB_E2E_PORT ?? 3100);
const hubBin =
  process.env.HUB_BIN ??
  path.join(os.homedir(), ".cache/integrations-hub/server/debug/hub");
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hub-e2e-"));

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [{ name: "chromium", use: { browserName: "chromium" } }],
  webServer: {
    command: `"${hubBin}" serve`,
    cwd: "..",
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      HUB_DATA_DIR: dataDir,
      HUB_SANDBOX: "1",
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: "target/site",
      HUB_LOG: "warn",
      // Enough records and latency for a sync that can be watched.
      HUB_SANDBOX_RECORDS: "1500",
      HUB_SANDBOX_LATENCY: "250ms",
      HUB_SANDBOX_CHANGE_EVERY: "off",
    },
  },
});
