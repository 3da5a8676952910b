import { expect, test, type Page } from "@playwright/test";
import { MEMBER, OWNER, seriousViolations, signIn, waitForHydration } from "./support";

test.describe.configure({ mode: "serial" });

const SENDGRID_KEY = "SG.sandbox-sendgrid-key.sandbox-sendgrid-secret-0000000000001";
const WRONG_KEY = "SG.aaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

async function hub(page: Page) {
  await signIn(page, OWNER);
  await waitForHydration(page);
}


test("search narrows the cards and the category filter works", async ({ page }) => {
  await hub(page);
  const count = page.getByTestId("visible-count");
  await expect(count).toHaveText("39 providers");
  await page.getByLabel("Search").fill("stripe");
  await expect(count).toHaveText("1 provider");
  await expect(page.getByTestId("card-stripe")).toBeVisible();
  await expect(page.getByTestId("card-hubspot")).toBeHidden();
  await expect(page.getByTestId("category-crm")).toBeHidden();

  await page.getByLabel("Search").fill("");
  await page.getByLabel("Category").selectOption("payments");
  await expect(count).toHaveText("2 providers");
  await expect(page.getByTestId("card-quickbooks")).toBeVisible();
  await expect(page.getByTestId("card-gmail")).toBeHidden();

  await page.getByLabel("Search").fill("nothing like this");
  await expect(page.getByTestId("no-matches")).toBeVisible();
});

test("the filters also work without JavaScript, through the address", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.goto("/integrations?q=hubspot");
  await expect(page.getByTestId("card-hubspot")).toBeVisible();
  await expect(page.getByTestId("card-hubspot_marketing")).toBeVisible();
  await expect(page.getByTestId("card-stripe")).toBeHidden();
  await page.goto("/integrations?category=storage");
  await expect(page.getByTestId("card-dropbox")).toBeVisible();
  await expect(page.getByTestId("card-gmail")).toBeHidden();
  await context.close();
});

test("configuring SendGrid: a missing field, a refused key, then a key that works and persists", async ({ page }) => {
  await hub(page);
  await page.getByTestId("connect-sendgrid").click();
  await expect(page).toHaveURL(/\/integrations\/\d+$/);
  const modal = page.getByTestId("settings-modal");
  await expect(modal.getByRole("heading", { name: "SendGrid settings" })).toBeVisible();
  await expect(modal.getByTestId("status")).toHaveText(/Pending/);

  // Exactly the fields SendGrid needs.
  const form = modal.getByTestId("configuration-form");
  await expect(form.locator("input:not([type=hidden]), select")).toHaveCount(1);
  await expect(form.getByLabel(/API key/)).toHaveAttribute("type", "password");

  await form.getByTestId("save-configuration").click();
  await expect(form.getByTestId("field-api_key")).toContainText("Enter the API key.");

  await form.getByLabel(/API key/).fill(WRONG_KEY);
  await form.getByTestId("save-configuration").click();
  await expect(form.getByTestId("form-error")).toContainText("SendGrid refused these credentials");
  await expect(form.getByTestId("form-error")).toContainText("authorization required");
  await expect(modal.getByTestId("status")).toHaveText(/Pending/);

  await form.getByLabel(/API key/).fill(SENDGRID_KEY);
  await form.getByTestId("test-connection").click();
  await expect(form.getByTestId("test-result")).toContainText("SendGrid accepted these credentials");
  await form.getByTestId("save-configuration").click();
  await expect(form.getByTestId("form-success")).toContainText("Saved.");
  await expect(modal.getByTestId("status")).toHaveText(/Active/);

  // The saved key survives a reload, masked, never in the page.
  await page.reload();
  await waitForHydration(page);
  await expect(page.getByTestId("settings-modal")).toContainText("Stored: ••••0001");
  expect(await page.content()).not.toContain(SENDGRID_KEY);

  // Escape closes the modal; the card shows the connection.
  await page.keyboard.press("Escape");
  await expect(page).toHaveURL(/\/integrations$/);
  await expect(page.getByTestId("card-sendgrid").getByTestId("status")).toHaveAttribute("data-status", "active");
});

test("the sync tab validates the schedule and shows the next three runs", async ({ page }) => {
  await hub(page);
  await page.getByTestId("card-sendgrid").getByRole("link", { name: "Settings of SendGrid" }).click();
  const modal = page.getByTestId("settings-modal");
  await modal.getByRole("tab", { name: "Sync", exact: true }).click();
  await modal.getByLabel("Schedule").selectOption({ label: "Daily at 06:00 UTC" });
  await expect(modal.getByTestId("next-runs").locator("li")).toHaveCount(3);
  await expect(modal.getByTestId("next-runs")).toContainText("06:00 UTC");
  await modal.getByLabel("Cron expression").fill("61 * * * *");
  await modal.getByLabel("Cron expression").blur();
  await expect(modal.getByTestId("next-runs")).toContainText("is not a valid cron expression");
  await modal.getByLabel("Cron expression").fill("*/30 * * * *");
  await modal.getByLabel("Cron expression").blur();
  await expect(modal.getByTestId("next-runs").locator("li")).toHaveCount(3);
  await modal.getByTestId("save-sync").click();
  await expect(modal.getByTestId("form-success")).toContainText("Sync settings saved.");
});

test("disconnect asks for confirmation, then the card shows inactive", async ({ page }) => {
  await hub(page);
  const card = page.getByTestId("card-sendgrid");
  await card.getByRole("button", { name: "Disconnect" }).click();
  await expect(card.getByRole("alertdialog")).toContainText("Disconnect SendGrid?");
  await expect(card.getByRole("alertdialog")).toContainText("stored credentials and tokens are deleted");
  await card.getByTestId("confirm-disconnect").click();
  await expect(card.getByTestId("status")).toHaveAttribute("data-status", "inactive");
  await expect(card.getByTestId("connect-sendgrid")).toBeVisible();
});

test("HubSpot connects through the sandbox consent page", async ({ page }) => {
  await hub(page);
  await page.getByTestId("connect-hubspot").click();
  await expect(page.getByRole("heading", { name: "HubSpot wants your permission" })).toBeVisible();
  await expect(page.getByText("crm.objects.contacts.read")).toBeVisible();
  await page.getByRole("button", { name: "Allow" }).click();
  await expect(page).toHaveURL(/oauth=connected/);
  await expect(page.getByTestId("oauth-notice")).toHaveText("HubSpot is connected.");
  await expect(page.getByTestId("card-hubspot").getByTestId("status")).toHaveAttribute("data-status", "active");
});

test("denying consent says so and leaves the card as it was", async ({ page }) => {
  await hub(page);
  await page.getByTestId("connect-salesforce").click();
  await page.getByRole("button", { name: "Deny" }).click();
  await expect(page.getByTestId("oauth-notice")).toContainText("You declined access at Salesforce. Nothing was connected.");
  await expect(page.getByTestId("card-salesforce").getByTestId("status")).toHaveAttribute("data-status", "inactive");
});

test("connecting an API-key provider with a wrong key shows its error and saves nothing", async ({ page }) => {
  await hub(page);
  await page.getByTestId("connect-twilio").click();
  const form = page.getByTestId("configuration-form");
  await form.getByLabel(/Account SID/).fill("AC5a11dbbc5a11dbbc5a11dbbc5a11dbbc");
  await form.getByLabel(/Auth token/).fill("00000000000000000000000000000000");
  await form.getByTestId("save-configuration").click();
  await expect(form.getByTestId("form-error")).toContainText("Twilio refused these credentials");
  await expect(form.getByTestId("form-error")).toContainText("Authenticate");
  await form.getByLabel(/Auth token/).fill("5a11dbbc5a11dbbc5a11dbbc5a11dbbc");
  await form.getByTestId("save-configuration").click();
  await expect(page.getByTestId("settings-modal").getByTestId("status")).toHaveText(/Active/);
});

test("members see the hub read-only", async ({ page }) => {
  await signIn(page, MEMBER);
  await waitForHydration(page);
  await expect(page.getByTestId("card-hubspot").getByRole("link", { name: "Settings of HubSpot" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Connect" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Disconnect" })).toHaveCount(0);
});

test("the hub and the settings modal have no serious accessibility violations", async ({ page }) => {
  await hub(page);
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByTestId("card-hubspot").getByRole("link", { name: "Settings of HubSpot" }).click();
  await expect(page.getByTestId("settings-modal")).toBeVisible();
  expect(await seriousViolations(page, "[data-testid=settings-modal]")).toEqual([]);
  await page.emulateMedia({ colorScheme: "dark" });
  expect(await seriousViolations(page, "[data-testid=settings-modal]")).toEqual([]);
});
