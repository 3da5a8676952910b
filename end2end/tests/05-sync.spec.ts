import { expect, test, type Page } from "@playwright/test";
import { MEMBER, OWNER, seriousViolations, signIn, waitForHydration } from "./support";

test.describe.configure({ mode: "serial" });

/** HubSpot connected through the sandbox (04-hub connects it; again here if not). */
async function hubspotConnected(page: Page) {
  await signIn(page, OWNER);
  await waitForHydration(page);
  const card = page.getByTestId("card-hubspot");
  if ((await card.getAttribute("data-status")) === "inactive") {
    await page.getByTestId("connect-hubspot").click();
    await page.getByRole("button", { name: "Allow" }).click();
    await waitForHydration(page);
  }
  await expect(card.getByTestId("status")).toHaveAttribute("data-status", "active");
  return card;
}

test("Sync now shows a running run with progress, then completed with counters", async ({ page }) => {
  const card = await hubspotConnected(page);
  await card.getByTestId("sync-hubspot").click();
  await expect(card.getByTestId("status")).toHaveAttribute("data-status", "syncing");

  await card.getByRole("link", { name: "Settings of HubSpot" }).click();
  await page.getByRole("tab", { name: "Sync history" }).click();
  const run = page.getByTestId("sync-run").first();
  await expect(run).toHaveAttribute("data-status", "running");
  await expect(run).toContainText(/Running: page \d+, \d+ records so far/);
  await expect(run).toHaveAttribute("data-status", "completed", { timeout: 30_000 });
  await expect(run.getByTestId("processed")).toHaveText("1500");
  await expect(run).toContainText("manual · incremental pull · contacts");
  await run.getByRole("button", { name: "Show log" }).click();
  await expect(run.locator(".log")).toContainText("Synced 1500 records");

  // The hub's cards and stats follow.
  await page.getByRole("button", { name: "Close settings" }).click();
  await expect(card.getByTestId("status")).toHaveAttribute("data-status", "active");
  await expect(page.getByTestId("stat-records")).toContainText("1500");
  await expect(page.getByTestId("stat-last-sync")).toContainText("just now");
});

test("members see the contacts the sync brought in, with their source", async ({ page }) => {
  await signIn(page, MEMBER);
  await page.getByRole("link", { name: "Contacts" }).click();
  await expect(page.getByTestId("contact-count")).toContainText("of 1500 contacts");
  await page.getByLabel("Search").fill("lovelace.0@");
  await page.getByRole("button", { name: "Search" }).click();
  const table = page.getByTestId("contacts");
  await expect(table.locator("tbody tr")).toHaveCount(1);
  await expect(table).toContainText("Ada Lovelace");
  await expect(table).toContainText("HubSpot");
  await table.getByRole("link", { name: "Ada Lovelace" }).click();
  await expect(page.getByTestId("contact-detail")).toContainText("ada.lovelace.0@example.com");
  await page.getByTestId("source-record").first().locator("summary").click();
  await expect(page.getByTestId("source-record").first()).toContainText("hs_object_id");
});

test("editing the field mapping changes the next sync's contacts", async ({ page }) => {
  const card = await hubspotConnected(page);
  await card.getByRole("link", { name: "Settings of HubSpot" }).click();
  await page.getByRole("tab", { name: "Field mapping" }).click();
  await expect(page.getByTestId("mapping-preview").locator("tbody tr")).toHaveCount(3);
  await page.getByLabel("Job title").selectOption("properties.company");
  await page.getByTestId("save-mapping").click();
  await expect(page.getByText("Saved. The next sync maps every record with it.")).toBeVisible();

  await page.getByRole("tab", { name: "Sync history" }).click();
  const runs = page.getByTestId("sync-run");
  await expect(runs.first()).toBeVisible();
  const before = await runs.count();
  await page.getByTestId("sync-now").click();
  await expect(runs).toHaveCount(before + 1);
  await expect(runs.first()).toHaveAttribute("data-status", "completed", { timeout: 30_000 });

  await page.goto("/contacts?q=lovelace.0%40");
  const name = page.getByTestId("contacts").locator("tbody tr td").first();
  await expect(name).toContainText("Ada Lovelace");
  await expect(name).toContainText("Analytical Engines Ltd");
});

test("an admin cancels a running full sync at a page boundary", async ({ page }) => {
  const card = await hubspotConnected(page);
  await card.getByRole("link", { name: "Settings of HubSpot" }).click();
  await page.getByRole("tab", { name: "Sync", exact: true }).click();
  await page.getByLabel("Mode").selectOption("full");
  await page.getByTestId("save-sync").click();
  await expect(page.getByText("Sync settings saved.")).toBeVisible();

  await page.getByRole("tab", { name: "Sync history" }).click();
  const runs = page.getByTestId("sync-run");
  const before = await runs.count();
  await page.getByTestId("sync-now").click();
  await expect(runs).toHaveCount(before + 1);
  const run = runs.first();
  await expect(run).toContainText(/Running: page \d+/);
  await run.getByTestId("cancel-run").click();
  await expect(run).toHaveAttribute("data-status", "cancelled", { timeout: 30_000 });
  // Whole pages only: the records processed are a multiple of the page size, short of all.
  const processed = Number(await run.getByTestId("processed").textContent());
  expect(processed % 100).toBe(0);
  expect(processed).toBeLessThan(1500);
  await run.getByRole("button", { name: "Show log" }).click();
  await expect(run.locator(".log")).toContainText("cancelled");
});

test("the Sync tab explains each direction and offers push only where the provider can receive", async ({ page }) => {
  const card = await hubspotConnected(page);
  await card.getByRole("link", { name: "Settings of HubSpot" }).click();
  await page.getByRole("tab", { name: "Sync", exact: true }).click();
  const direction = page.getByLabel("Direction");
  const hint = page.locator("#sync-direction-hint");
  await expect(direction.locator("option[value=push]")).toBeEnabled();
  await direction.selectOption("bidirectional");
  await expect(hint).toContainText("Pulls first (the provider's non-empty values win)");
  await direction.selectOption("push");
  await expect(hint).toContainText("A person the provider already has, by email, is updated");
  await direction.selectOption("pull");
  await expect(hint).toContainText("Brings the provider's records into the hub's contacts.");
  await page.getByRole("button", { name: "Close settings" }).click();

  // Typeform only sends responses: push and both ways cannot be chosen.
  const typeform = page.getByTestId("card-typeform");
  if ((await typeform.getAttribute("data-status")) === "inactive") {
    await page.getByTestId("connect-typeform").click();
    await page.getByRole("button", { name: "Allow" }).click();
    await waitForHydration(page);
  }
  await typeform.getByRole("link", { name: "Settings of Typeform" }).click();
  await page.getByRole("tab", { name: "Sync", exact: true }).click();
  await expect(direction.locator("option[value=push]")).toBeDisabled();
  await expect(direction.locator("option[value=bidirectional]")).toBeDisabled();
  await expect(hint).toHaveText("Typeform only sends contacts; the hub cannot write to it.");
});

test("the contacts pages and the sync tabs have no serious accessibility violations", async ({ page }) => {
  await signIn(page, OWNER);
  await page.goto("/contacts");
  await waitForHydration(page);
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByTestId("contacts").locator("tbody a").first().click();
  await expect(page.getByTestId("contact-detail")).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);

  await page.goto("/integrations");
  await waitForHydration(page);
  await page.getByTestId("card-hubspot").getByRole("link", { name: "Settings of HubSpot" }).click();
  for (const tab of ["Sync history", "Field mapping"]) {
    await page.getByRole("tab", { name: tab }).click();
    await expect(page.getByRole("tabpanel")).toBeVisible();
    expect(await seriousViolations(page, "[data-testid=settings-modal]"), tab).toEqual([]);
  }
});
