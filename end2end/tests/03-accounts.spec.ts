import { expect, test } from "@playwright/test";
import { MEMBER, OWNER, signIn, waitForHydration } from "./support";

test.describe.configure({ mode: "serial" });

test("sign in with a wrong password, then the right one", async ({ page }) => {
  await page.goto("/integrations");
  await expect(page).toHaveURL(/\/login\?next=%2Fintegrations$/);
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill("not my password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("form-error")).toContainText("That email and password do not match an account.");
  await expect(page.getByLabel("Email")).toHaveValue(OWNER.email);
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/integrations$/);
  await expect(page.getByTestId("user-name")).toHaveText(OWNER.name);
});

test("an owner adds a member, who can then sign in", async ({ page }) => {
  await signIn(page, OWNER);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).click();
  await page.getByRole("navigation", { name: "Admin sections" }).getByRole("link", { name: "Users" }).click();
  await expect(page).toHaveURL(/\/admin\/users$/);
  await waitForHydration(page);

  const form = page.getByTestId("create-user-form");
  await form.getByLabel("Name").fill(MEMBER.name);
  await form.getByLabel("Email").fill("mo@acme");
  await form.getByLabel("Initial password").fill(MEMBER.password);
  await form.getByRole("button", { name: "Add user" }).click();
  await expect(form.getByText("is not an email address")).toBeVisible();

  await form.getByLabel("Email").fill(MEMBER.email);
  await form.getByLabel("Role").selectOption("member");
  await form.getByRole("button", { name: "Add user" }).click();
  await expect(page.getByTestId("form-success")).toContainText("Mo Member can now sign in as member.");
  await expect(page.getByTestId(`user-row-${MEMBER.email}`)).toContainText("Active");

  await page.getByTestId("sign-out").click();
  await expect(page).toHaveURL(/\/login$/);
  await signIn(page, MEMBER);
  await expect(page.getByTestId("user-name")).toHaveText(MEMBER.name);
});

test("a member sees no admin navigation and gets 403 on the users page", async ({ page }) => {
  await signIn(page, MEMBER);
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Integrations" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Admin" })).toHaveCount(0);
  const response = await page.goto("/admin/users");
  expect(response?.status()).toBe(403);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("You do not have access to this page");
});

test("an admin creates an API token, sees it once, and revokes it", async ({ page }) => {
  await signIn(page, OWNER);
  await page.goto("/admin/api-tokens");
  await waitForHydration(page);
  const form = page.getByTestId("create-token-form");
  await form.getByLabel("Name").fill("Nightly export");
  await form.getByRole("button", { name: "Create token" }).click();
  const value = page.getByTestId("new-token-value");
  await expect(value).toHaveValue(/^hub_[A-Za-z0-9]{40}$/);
  const token = await value.inputValue();

  const row = page.getByTestId("token-row-Nightly export");
  await expect(row).toContainText("Active");
  await expect(row).toContainText(token.slice(0, 12));
  await expect(row).not.toContainText(token);

  const me = await page.request.get("/api/v1/me", { headers: { Authorization: `Bearer ${token}` } });
  expect(me.status()).toBe(200);

  await row.getByRole("button", { name: "Revoke" }).click();
  await row.getByRole("button", { name: "Confirm revoke" }).click();
  await expect(page.getByTestId("token-row-Nightly export")).toContainText("Revoked");
  const after = await page.request.get("/api/v1/me", { headers: { Authorization: `Bearer ${token}` } });
  expect(after.status()).toBe(401);

  // The token is not shown again after a reload.
  await page.reload();
  await expect(page.getByTestId("new-token-value")).toHaveCount(0);
});

test("signing out ends the session", async ({ page }) => {
  await signIn(page, OWNER);
  await page.getByTestId("sign-out").click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/admin/users");
  await expect(page).toHaveURL(/\/login\?next=%2Fadmin%2Fusers$/);
});
