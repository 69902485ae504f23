import { expect, test, type Page } from "@playwright/test";

const password = "correct horse battery";

async function signUpWithApp(page: Page, tag: string) {
  const email = `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  await page.goto("/signup");
  await page.getByLabel("ISV name").fill(`${tag} ISV`);
  await page.getByLabel("E-mail").fill(email);
  await page.locator('input[name="password"]').fill(password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/apps$/);
  await page.getByRole("link", { name: "Create app" }).click();
  await page.getByLabel("Name").fill(`${tag} shop`);
  // The built-in demo receiver answers `success`, so notifications are delivered.
  await page.locator('input[name="notify_url"]').fill("http://127.0.0.1:3100/demo/notify");
  await page.locator('input[name="return_url"]').fill("https://shop.example/return");
  await page.getByRole("button", { name: "Create app" }).click();
  await expect(page).toHaveURL(/\/apps\/\d{10}$/);
}

async function testPayment(page: Page, body: string, scenario: string) {
  await page.getByRole("link", { name: "Test payments" }).click();
  await expect(page).toHaveURL(/\/test-payments$/);
  await page.getByLabel("Amount (yuan)").fill("12.34");
  await page.getByLabel("Item (body)").fill(body);
  await page.locator(`input[name="scenario"][value="${scenario}"]`).check();
  await page.getByRole("button", { name: "Make test payment" }).click();
  await expect(page).toHaveURL(/\/transactions\/\d{28}$/);
}

for (const javaScriptEnabled of [true, false]) {
  test.describe(javaScriptEnabled ? "with JavaScript" : "without JavaScript", () => {
    test.use({ javaScriptEnabled });

    test("test payments, their transactions and notification attempts, and a resend", async ({ page }) => {
      await signUpWithApp(page, javaScriptEnabled ? "console" : "console-nojs");

      await testPayment(page, "Declined <tea>", "failure");
      await expect(page.locator("h1 .badge")).toHaveText("failed");
      await expect(page.getByText("Declined <tea>").first()).toBeVisible();

      await testPayment(page, "Green tea", "normal");
      await expect(page.locator("h1 .badge")).toHaveText("paid");
      await expect(page.getByText("¥12.34").first()).toBeVisible();
      // The notification arrives: reload until its first attempt is logged.
      await expect(async () => {
        await page.reload();
        await expect(page.locator("table.attempts tr.outcome-delivered")).toHaveCount(1);
      }).toPass({ timeout: 10_000 });

      await page.getByRole("link", { name: "Transactions" }).first().click();
      await expect(page.locator("#transactions tbody tr")).toHaveCount(2);
      await expect(page.locator("#transactions")).toContainText("failed");

      await page.getByRole("link", { name: "Notifications" }).first().click();
      await expect(page.locator("#notifications tbody tr")).toHaveCount(2);
      await page.locator("#notifications tbody tr a").first().click();
      await expect(page).toHaveURL(/\/notifications\/[A-Za-z0-9_-]{32}[0-9]{10}$/);
      await page.getByRole("button", { name: "Resend now" }).click();
      await expect(page.getByRole("status").first()).toContainText("Resent: delivered.");
      await expect(page.locator("table.attempts")).toContainText("(manual)");
    });
  });
}
