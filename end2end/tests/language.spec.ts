import { expect, test } from "@playwright/test";

const password = "correct horse battery";

test.describe("a browser that prefers Chinese", () => {
  test.use({ locale: "zh-CN" });

  test("gets Chinese by default, switches to English and back, and the account remembers", async ({
    page,
    browser,
  }) => {
    // Accept-Language decides for a visitor who never chose.
    await page.goto("/login");
    await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("登录");

    const email = `lang-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
    await page.goto("/signup");
    await page.locator('input[name="isv_name"]').fill("茶馆");
    await page.locator('input[name="email"]').fill(email);
    await page.locator('input[name="password"]').fill(password);
    await page.locator('form[action="/signup"] button[type="submit"]').click();
    await expect(page).toHaveURL(/\/apps$/);
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
    await expect(page.locator("nav.mainnav")).toContainText("交易");

    // The switch comes back to the same page, now in English.
    await page.goto("/transactions?state=2");
    await page.getByRole("button", { name: "English" }).click();
    await expect(page).toHaveURL(/\/transactions\?state=2$/);
    await expect(page.locator("html")).toHaveAttribute("lang", "en");
    await expect(page.locator("nav.mainnav")).toContainText("Transactions");
    await expect(page.locator("nav.mainnav")).not.toContainText("交易");

    // And back to Chinese.
    await page.getByRole("button", { name: "中文" }).click();
    await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
    await expect(page.locator("nav.mainnav")).toContainText("交易");

    // Another browser, which prefers English and has JavaScript off: after login the
    // account's choice (Chinese) wins, and the switch works as a plain form.
    const other = await browser.newContext({ locale: "en-US", javaScriptEnabled: false });
    const second = await other.newPage();
    await second.goto("/login");
    await expect(second.getByRole("heading", { level: 1 })).toHaveText("Log in");
    await second.locator('input[name="email"]').fill(email);
    await second.locator('input[name="password"]').fill(password);
    await second.locator('form[action="/login"] button[type="submit"]').click();
    await expect(second).toHaveURL(/\/apps$/);
    await expect(second.locator("nav.mainnav")).toContainText("应用");
    await second.getByRole("button", { name: "English" }).click();
    await expect(second).toHaveURL(/\/apps$/);
    await expect(second.locator("nav.mainnav")).toContainText("Apps");
    await other.close();

    // The first browser follows the account's latest choice on its next page load.
    await page.goto("/dashboard");
    await expect(page.locator("html")).toHaveAttribute("lang", "en");
  });
});
