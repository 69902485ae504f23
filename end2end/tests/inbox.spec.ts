import { expect, test, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";

const password = "correct horse battery";
// README shows these; the suite retakes them on every run so they stay current.
const shots = "../docs/screenshots";

async function signUpWithFastApp(page: Page, tag: string) {
  const email = `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  await page.goto("/signup");
  await page.getByLabel("ISV name").fill("Tea House");
  await page.getByLabel("E-mail").fill(email);
  await page.locator('input[name="password"]').fill(password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/apps$/);
  await page.getByRole("link", { name: "Create app" }).click();
  await page.getByLabel("Name").fill("Tea shop");
  await page.locator('input[name="notify_url"]').fill("http://127.0.0.1:3100/demo/notify");
  await page.locator('input[name="return_url"]').fill("https://shop.example/return");
  await page.locator('input[name="retry_speed"][value="fast"]').check();
  await page.getByRole("button", { name: "Create app" }).click();
  await expect(page).toHaveURL(/\/apps\/\d{10}$/);
}

test("the inbox receives test payments, the console refreshes itself, and the README screenshots", async ({
  page,
}) => {
  mkdirSync(shots, { recursive: true });
  await page.setViewportSize({ width: 1280, height: 860 });
  await signUpWithFastApp(page, "inbox");

  // A delivered notification, through the built-in inbox.
  await page.getByRole("link", { name: "Inbox" }).click();
  await expect(page.locator("#inboxes code.inbox-url")).toContainText("/inbox/");
  await page.getByRole("button", { name: "Send a test payment here" }).click();
  await expect(page).toHaveURL(/\/transactions\/\d{28}$/);
  await expect(page.locator("h1 .badge")).toHaveText("paid");

  // The inbox now answers "fail": the next notification stays pending and is retried
  // (fast mode: 1 s, 2 s, …). With JavaScript the page shows new attempts by itself.
  await page.getByRole("link", { name: "Inbox" }).click();
  await page.locator("#inboxes select[name=answer]").selectOption("fail");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toContainText("answers fail");
  await page.getByRole("button", { name: "Send a test payment here" }).click();
  await expect(page).toHaveURL(/\/transactions\/\d{28}$/);
  // No reload: while the notification is pending, the live-refresh island fetches the
  // page and swaps in its fresh parts. A mark on this window would not survive a reload.
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
  await expect(page.locator("table.attempts tr.outcome-failed").first()).toBeVisible({ timeout: 10_000 });
  await expect
    .poll(() => page.locator("table.attempts tr.outcome-failed").count(), { timeout: 15_000 })
    .toBeGreaterThanOrEqual(2);
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  await expect(page.locator("table.attempts .hint").first()).toContainText("not success");

  await page.getByRole("link", { name: "Inbox" }).click();
  // One delivered notification and the failed attempts so far (retries keep coming).
  await expect
    .poll(() => page.locator("#inbox-messages tbody tr").count(), { timeout: 10_000 })
    .toBeGreaterThanOrEqual(3);
  await expect(page.locator("#inbox-messages .badge").first()).toHaveText("valid");

  // Screenshots for the README: the dashboard, the transactions, one notification's attempts.
  await page.getByRole("link", { name: "Dashboard" }).click();
  await expect(page.locator("svg.chart rect.bar")).toHaveCount(14);
  // A flash message belongs to the page it was left for, not to pages reached after it.
  await expect(page.getByRole("status")).toHaveCount(0);
  await page.screenshot({ path: `${shots}/dashboard.png`, fullPage: true });
  await page.getByRole("link", { name: "Transactions" }).first().click();
  await expect(page.locator("#transactions tbody tr")).toHaveCount(2);
  await page.screenshot({ path: `${shots}/transactions.png`, fullPage: true });
  await page.getByRole("link", { name: "Notifications" }).first().click();
  await page.locator("#notifications tbody tr a").first().click();
  await expect(page.locator("table.attempts tbody tr").first()).toBeVisible();
  await page.screenshot({ path: `${shots}/notification.png`, fullPage: true });
});

test("the docs page renders the protocol without JavaScript", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/docs");
  await expect(page.locator("#retcode-table")).toContainText("88000003");
  await expect(page.locator("#sdk")).toContainText("PayRequest::new");
  await context.close();
});
