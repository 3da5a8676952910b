// Takes the README's screenshots of a running hub:
//   node scripts/screenshots.mjs [base URL] [path…]
// Each path is captured in light mode, dark mode and at phone width.
import { chromium } from "@playwright/test";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const base = process.argv[2] ?? "http://127.0.0.1:3000";
const pages = process.argv.slice(3).length ? process.argv.slice(3) : ["/integrations"];
const out = path.join(here, "..", "screenshots");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const shots = [
  { suffix: "light", viewport: { width: 1440, height: 900 }, colorScheme: "light" },
  { suffix: "dark", viewport: { width: 1440, height: 900 }, colorScheme: "dark" },
  { suffix: "phone", viewport: { width: 360, height: 780 }, colorScheme: "light" },
];
for (const target of pages) {
  const name = target.replace(/^\//, "").replace(/[\/?=&]+/g, "-") || "home";
  for (const shot of shots) {
    const context = await browser.newContext({ viewport: shot.viewport, colorScheme: shot.colorScheme });
    if (process.env.HUB_COOKIE) {
      const [cookieName, value] = process.env.HUB_COOKIE.split("=");
      await context.addCookies([{ name: cookieName, value, url: base }]);
    }
    const page = await context.newPage();
    await page.goto(base + target);
    await page.locator("#app[data-hydrated=true]").waitFor();
    const file = path.join(out, `${name}-${shot.suffix}.png`);
    await page.screenshot({ path: file, fullPage: shot.suffix === "phone" });
    console.log(file);
    await context.close();
  }
}
await browser.close();
