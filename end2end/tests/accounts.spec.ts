import { expect, test, type Page } from "@playwright/test";

const password = "correct horse battery";

function uniqueEmail(tag: string): string {
  return `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** Collects page errors and console errors, which must stay empty. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  return errors;
}

async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

test("sign up, see apps, log out and log in again, with hydration", async ({ page }) => {
  const errors = watchErrors(page);
  const email = uniqueEmail("hydrated");

  await page.goto("/signup");
  await hydrated(page);

  // A click handled by hydrated code: the password toggle.
  const passwordInput = page.locator('input[name="password"]');
  await expect(passwordInput).toHaveAttribute("type", "password");
  await page.getByRole("button", { name: "Show or hide the password" }).click();
  await expect(passwordInput).toHaveAttribute("type", "text");
  await expect(page.getByRole("button", { name: "Show or hide the password" })).toHaveText("Hide");

  await page.getByLabel("ISV name").fill("Hydrated <b>ISV</b>");
  await page.getByLabel("E-mail").fill(email);
  await passwordInput.fill(password);
  await page.getByRole("button", { name: "Sign up" }).click();

  await expect(page).toHaveURL(/\/apps$/);
  await expect(page.locator(".isv-name")).toHaveText("Hydrated <b>ISV</b>");
  await expect(page.getByText("You have no apps yet.")).toBeVisible();
  for (const section of ["Apps", "Transactions", "Notifications", "Tools", "Docs"]) {
    await expect(page.locator(".mainnav").getByRole("link", { name: section })).toBeVisible();
  }

  // Navigation after hydration keeps working: links are page loads rendered by the
  // server (islands mode), and the next page hydrates its islands again.
  await hydrated(page);
  await page.locator(".mainnav").getByRole("link", { name: "Transactions" }).click();
  await expect(page).toHaveURL(/\/transactions$/);
  await expect(page.getByText("No transactions match.")).toBeVisible();
  await hydrated(page);

  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login$/);

  await page.goto("/apps");
  await expect(page).toHaveURL(/\/login\?next=%2Fapps$/);
  await hydrated(page);
  await page.getByLabel("E-mail").fill(email.toUpperCase());
  await page.locator('input[name="password"]').fill("a wrong password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Wrong e-mail or password.");
  await expect(page.getByLabel("E-mail")).toHaveValue(email.toUpperCase());

  await page.locator('input[name="password"]').fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/apps$/);
  await expect(page.locator(".isv-name")).toHaveText("Hydrated <b>ISV</b>");

  expect(errors).toEqual([]);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("every account form works through plain posts and redirects", async ({ page }) => {
    const email = uniqueEmail("nojs");

    await page.goto("/signup");
    await page.getByLabel("ISV name").fill("No Script Ltd");
    await page.getByLabel("E-mail").fill(email);
    await page.locator('input[name="password"]').fill(password);
    await page.getByRole("button", { name: "Sign up" }).click();
    await expect(page).toHaveURL(/\/apps$/);
    await expect(page.locator(".isv-name")).toHaveText("No Script Ltd");

    await page.getByRole("button", { name: "Log out" }).click();
    await expect(page).toHaveURL(/\/login$/);

    await page.getByLabel("E-mail").fill(email);
    await page.locator('input[name="password"]').fill("a wrong password");
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page.getByRole("alert")).toHaveText("Wrong e-mail or password.");
    await expect(page.getByLabel("E-mail")).toHaveValue(email);

    await page.locator('input[name="password"]').fill(password);
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page).toHaveURL(/\/apps$/);
    await expect(page.getByText("You have no apps yet.")).toBeVisible();
  });
});
