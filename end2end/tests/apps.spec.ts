import { expect, test, type Page } from "@playwright/test";

const password = "correct horse battery";

async function signUp(page: Page, tag: string) {
  const email = `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  await page.goto("/signup");
  await page.getByLabel("ISV name").fill(`${tag} ISV`);
  await page.getByLabel("E-mail").fill(email);
  await page.locator('input[name="password"]').fill(password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/apps$/);
  return email;
}

async function createApp(page: Page, name: string) {
  await page.getByRole("link", { name: "Create app" }).click();
  await expect(page).toHaveURL(/\/apps\/new$/);
  await page.getByLabel("Name").fill(name);
  await page.locator('input[name="notify_url"]').fill("http://127.0.0.1:9/notify");
  await page.locator('input[name="return_url"]').fill("https://shop.example/return");
  await page.getByRole("button", { name: "Create app" }).click();
  await expect(page).toHaveURL(/\/apps\/\d{10}$/);
  return page.url().split("/").pop() as string;
}

test("create an app, reveal, copy and rotate its key, and see it all in the audit log", async ({ page, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await signUp(page, "apps");
  const appid = await createApp(page, "E2E shop");
  await expect(page.getByRole("status").first()).toContainText(`Its appid is ${appid}`);
  await expect(page.locator(".slot-current code")).toContainText("••••");

  await page.getByRole("button", { name: "Reveal key" }).click();
  const key = page.locator("#revealed-key");
  await expect(key).toHaveText(/^[0-9a-f]{32}$/);
  const first = (await key.textContent()) as string;
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.getByRole("button", { name: "Copy" }).click();
  await expect(page.getByRole("button", { name: "Copied" })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(first);

  await page.getByRole("button", { name: "Rotate key" }).click();
  await expect(page.getByRole("status").first()).toContainText("Key rotated.");
  await expect(page.locator(".slot-grace")).toContainText("Still verifies until");
  await expect(page.locator(".slot-current")).toContainText("2");
  await page.getByRole("button", { name: "Reveal key" }).click();
  await expect(page.locator("#revealed-key")).not.toHaveText(first);

  await page.getByRole("link", { name: "Audit log" }).click();
  await expect(page).toHaveURL(/\/audit$/);
  for (const action of ["key.rotated", "key.revealed", "app.created"]) {
    await expect(page.locator(`tr[data-action="${action}"]`).first()).toBeVisible();
  }
  await expect(page.locator('tr[data-action="key.revealed"]')).toHaveCount(2);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("apps are created, fixed after an error, edited, disabled and deleted through forms", async ({ page }) => {
    await signUp(page, "apps-nojs");
    await page.getByRole("link", { name: "Create app" }).click();
    await page.getByLabel("Name").fill("No JS shop");
    await page.locator('input[name="notify_url"]').fill("ftp://wrong.example/notify");
    await page.locator('input[name="return_url"]').fill("https://shop.example/return");
    await page.getByRole("button", { name: "Create app" }).click();
    await expect(page).toHaveURL(/\/apps\/new$/);
    await expect(page.getByText("The notify URL must be an absolute http:// or https:// URL.")).toBeVisible();
    await expect(page.getByLabel("Name")).toHaveValue("No JS shop");
    await page.locator('input[name="notify_url"]').fill("https://shop.example/notify");
    await page.getByRole("button", { name: "Create app" }).click();
    await expect(page).toHaveURL(/\/apps\/\d{10}$/);

    await page.getByRole("button", { name: "Reveal key" }).click();
    await expect(page.locator("#revealed-key")).toHaveText(/^[0-9a-f]{32}$/);

    await page.getByRole("button", { name: "Rotate key" }).click();
    await expect(page.locator(".slot-grace")).toContainText("Still verifies until");
    await page.getByRole("button", { name: "End grace now" }).click();
    await expect(page.locator(".slot-expired")).toContainText("No longer verifies");
    await expect(page.getByRole("button", { name: "End grace now" })).toHaveCount(0);

    await page.getByRole("link", { name: "Edit" }).click();
    await page.getByLabel("Name").fill("No JS shop, renamed");
    await page.getByRole("button", { name: "Save changes" }).click();
    await expect(page.locator("h1")).toContainText("No JS shop, renamed");

    await page.getByRole("button", { name: "Disable" }).click();
    await expect(page.locator("h1 .badge")).toHaveText("disabled");
    await page.getByRole("link", { name: "Delete…" }).click();
    await page.getByRole("button", { name: "Delete app" }).click();
    await expect(page).toHaveURL(/\/apps$/);
    await expect(page.getByText("You have no apps yet.")).toBeVisible();
  });
});
