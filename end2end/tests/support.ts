import { expect, type Page } from "@playwright/test";

/** Waits until the WebAssembly has hydrated the server-rendered page. */
export async function waitForHydration(page: Page): Promise<void> {
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
}
