import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";

/** The workspace owner created by 01-setup.spec.ts on the fresh hub of this run. */
export const OWNER = { name: "Olivia Owner", email: "owner@acme.test", password: "correct horse battery staple" };
/** The member the owner creates in 03-accounts.spec.ts. */
export const MEMBER = { name: "Mo Member", email: "mo@acme.test", password: "member password 123" };

/** Waits until the WebAssembly has hydrated the server-rendered page. */
export async function waitForHydration(page: Page): Promise<void> {
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
}

/** Signs in through the login form and waits for the hub. */
export async function signIn(page: Page, who: { email: string; password: string }): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/integrations$/);
}

/** Serious and critical axe-core violations on the page (or inside `include`). */
export async function seriousViolations(page: Page, include?: string) {
  let builder = new AxeBuilder({ page });
  if (include) builder = builder.include(include);
  const results = await builder.analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}
