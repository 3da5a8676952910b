import { expect, test } from "@playwright/test";
import { OWNER, signIn, waitForHydration } from "./support";

test.beforeEach(async ({ page }) => {
  await signIn(page, OWNER);
});

test("the page hydrates and a server function answers in the DOM", async ({ page }) => {
  // Before hydration the button does nothing: only the WebAssembly wires it to the server function.
  await waitForHydration(page);
  await page.getByTestId("system-status-check").click();
  const status = page.getByTestId("system-status");
  await expect(status).toContainText("SQLite");
  await expect(status).toContainText("schema up to date");
});

test("every route has its own title and the navigation marks the current page", async ({ page }) => {
  await page.goto("/integrations/activity");
  await expect(page).toHaveTitle("Activity · Integrations Hub");
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Activity" }))
    .toHaveAttribute("aria-current", "page");
  await waitForHydration(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Integrations" }).click();
  await expect(page).toHaveURL(/\/integrations$/);
  await expect(page).toHaveTitle("Integrations · Integrations Hub");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Integrations");
});

test("the theme toggle switches to dark and the choice survives a reload", async ({ page }) => {
  await page.emulateMedia({ colorScheme: "light" });
  await page.goto("/integrations");
  await waitForHydration(page);
  const toggle = page.getByTestId("theme-toggle");
  await expect(toggle).toContainText("System");
  await toggle.click();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  const darkBackground = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(darkBackground).toBe("rgb(13, 16, 23)");
  await page.reload();
  // Applied by theme.js before the first paint, not by the WebAssembly.
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await waitForHydration(page);
  await expect(toggle).toContainText("Dark");
  // Back to following the system.
  await toggle.click();
  await toggle.click();
  await expect(toggle).toContainText("System");
  await expect(page.locator("html")).not.toHaveAttribute("data-theme", /.+/);
});

test("the system preference for dark mode is followed without a stored choice", async ({ page }) => {
  await page.emulateMedia({ colorScheme: "dark" });
  await page.goto("/integrations");
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(background).toBe("rgb(13, 16, 23)");
});

test("an unknown address answers 404 with a page that leads back", async ({ page }) => {
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page).toHaveTitle("Page not found · Integrations Hub");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("This page does not exist");
  await waitForHydration(page);
  await page.getByRole("link", { name: "Back to the hub" }).click();
  await expect(page).toHaveURL(/\/integrations$/);
});

test("the layout fits a 360 px phone without sideways scrolling", async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto("/integrations");
  await waitForHydration(page);
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
  await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
});
