// Screenshots of an integration's settings tabs (light and phone):
//   HUB_COOKIE=hub_session=… node scripts/shot-tabs.mjs <base URL> <integration id> <tab label>…
import { chromium } from "@playwright/test";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const [base, id, ...tabs] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
for (const [suffix, viewport] of [["light", { width: 1440, height: 900 }], ["phone", { width: 360, height: 780 }]]) {
  const context = await browser.newContext({ viewport });
  const [cookieName, value] = (process.env.HUB_COOKIE ?? "=").split("=");
  if (value) await context.addCookies([{ name: cookieName, value, url: base }]);
  const page = await context.newPage();
  await page.goto(`${base}/integrations/${id}`);
  await page.locator("#app[data-hydrated=true]").waitFor();
  for (const tab of tabs) {
    await page.getByRole("tab", { name: tab, exact: true }).click();
    await page.waitForTimeout(500);
    const file = path.join(here, "..", "screenshots", `settings-${tab.toLowerCase().replace(/\W+/g, "-")}-${suffix}.png`);
    await page.screenshot({ path: file, fullPage: suffix === "phone" });
    console.log(file);
  }
  await context.close();
}
await browser.close();
