import { expect, test } from "@playwright/test";
import { OWNER, waitForHydration } from "./support";

test("first run: every page leads to the setup, which creates the workspace and lands on the hub", async ({ page }) => {
  await page.goto("/integrations");
  await expect(page).toHaveURL(/\/setup$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Welcome to the Integrations Hub");
  await waitForHydration(page);

  // Mistakes are named next to their fields, and nothing is created.
  await page.getByLabel("Workspace name").fill("Acme Sales");
  await expect(page.getByLabel("URL name")).toHaveValue("acme-sales");
  await page.getByLabel("Your name").fill(OWNER.name);
  await page.getByLabel("Email").fill("not-an-email");
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create workspace" }).click();
  await expect(page.getByText("is not an email address")).toBeVisible();
  await expect(page.getByText("Use at least 10 characters for the password.")).toBeVisible();
  await expect(page.getByLabel("Workspace name")).toHaveValue("Acme Sales");

  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByRole("button", { name: "Create workspace" }).click();
  await expect(page).toHaveURL(/\/integrations$/);
  await expect(page.getByTestId("user-name")).toHaveText(OWNER.name);

  // The setup is gone for good.
  const again = await page.goto("/setup");
  expect(again?.status()).toBe(404);
});
