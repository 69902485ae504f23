import { createHash } from "node:crypto";
import { expect, test } from "@playwright/test";

const md5 = (text: string) => createHash("md5").update(text, "utf8").digest("hex").toUpperCase();

test("the signature debugger gives verdicts and hints", async ({ page }) => {
  const email = `sig-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  await page.goto("/signup");
  await page.getByLabel("ISV name").fill("Signature ISV");
  await page.getByLabel("E-mail").fill(email);
  await page.locator('input[name="password"]').fill("correct horse battery");
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.getByRole("link", { name: "Create app" }).click();
  await page.getByLabel("Name").fill("Signature shop");
  await page.locator('input[name="notify_url"]').fill("http://127.0.0.1:9/notify");
  await page.locator('input[name="return_url"]').fill("https://shop.example/return");
  await page.getByRole("button", { name: "Create app" }).click();
  await expect(page).toHaveURL(/\/apps\/\d{10}$/);
  const appid = page.url().split("/").pop() as string;
  await page.getByRole("button", { name: "Reveal key" }).click();
  const key = (await page.locator("#revealed-key").textContent()) as string;

  const check = async (input: string) => {
    await page.goto("/tools");
    await page.getByRole("link", { name: "Signature debugger" }).click();
    await page.getByLabel("Request").fill(input);
    await page.getByRole("button", { name: "Check" }).click();
    await expect(page.locator("#verdict")).toBeVisible();
  };

  const good = md5(`appid=${appid}&body=green tea&total_fee=1&key=${key}`);
  await check(`appid=${appid}&body=green%20tea&total_fee=1&sign=${good.toLowerCase()}`);
  await expect(page.locator("#verdict")).toContainText("valid");
  await expect(page.locator("#hints")).toContainText("Lowercase hex is fine");
  await expect(page.locator("#canonical")).toHaveText(`appid=${appid}&body=green tea&total_fee=1&key=<app key>`);

  const encoded = md5(`appid=${appid}&body=green%20tea&total_fee=1&key=${key}`);
  await check(`appid=${appid}&body=green%20tea&total_fee=1&sign=${encoded}`);
  await expect(page.locator("#verdict")).toContainText("mismatch");
  await expect(page.locator("#hints")).toContainText("URL-encoded");
  await expect(page.locator("#expected")).toHaveText(good);
});
