import { expect, signInLocal, test } from "./support/fixtures";

test.describe("sign-in", () => {
  test("[AUTH][LOCAL]: a wrong password is refused, the right one signs in, the session expires in 8 hours, sign-out ends it", async ({ page, stack, shot }) => {
    const admin = stack.accounts.admin;
    await page.goto("/");
    await expect(page).toHaveURL(/\/sign-in/);
    await shot(page, "sign-in");

    await page.getByLabel("E-mail").fill(admin.email);
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.getByText("That e-mail and password do not match an active account.")).toBeVisible();

    await signInLocal(page, admin.email, admin.password);
    await expect(page.getByRole("navigation", { name: "Console" })).toBeVisible();
    await expect(page.getByText("admin", { exact: true }).first()).toBeVisible();
    const cookie = (await page.context().cookies()).find((c) => c.name.endsWith("authjs.session-token"));
    expect(cookie, "a session cookie").toBeTruthy();
    expect(cookie!.httpOnly).toBe(true);
    const hoursLeft = (cookie!.expires * 1000 - Date.now()) / 3_600_000;
    expect(hoursLeft).toBeGreaterThan(7.9);
    expect(hoursLeft).toBeLessThanOrEqual(8.01);

    await page.getByRole("button", { name: "Sign out" }).first().click();
    await expect(page).toHaveURL(/\/sign-in\?signedOut=1/);
    await expect(page.getByText("You are signed out.")).toBeVisible();
    await page.goto("/");
    await expect(page).toHaveURL(/\/sign-in/);
  });

  test("[AUTH][OIDC]: signing in on the provider's login page; IdP group gh-admins makes an admin, others are members", async ({ page, stack, shot }) => {
    await page.goto("/sign-in");
    await page.getByRole("button", { name: "Sign in with single sign-on" }).click();
    // oidc-provider's own login and consent pages.
    await page.locator("input[name=login]").fill(stack.ssoLogins.admin);
    await page.locator("input[name=password]").fill("any password: the test IdP checks only the login");
    await shot(page, "sso-provider-login");
    await page.getByRole("button", { name: "Sign-in" }).click();
    await page.getByRole("button", { name: "Continue" }).click();
    await expect(page.getByRole("navigation", { name: "Console" })).toBeVisible();
    await expect(page.getByText("Olivia Okafor")).toBeVisible();
    await expect(page.getByRole("link", { name: "Connections" }).first()).toBeVisible();
    await shot(page, "overview-admin-sso");

    await page.context().clearCookies();
    await page.goto("/sign-in");
    await page.getByRole("button", { name: "Sign in with single sign-on" }).click();
    await page.locator("input[name=login]").fill(stack.ssoLogins.member);
    await page.locator("input[name=password]").fill("whatever");
    await page.getByRole("button", { name: "Sign-in" }).click();
    await page.getByRole("button", { name: "Continue" }).click();
    await expect(page.getByText("Mo Member")).toBeVisible();
    await expect(page.getByText("member", { exact: true }).first()).toBeVisible();
    await expect(page.getByRole("link", { name: "Connections" })).toHaveCount(0);
  });

  test("[AUTH][HOST]: opened at 127.0.0.1 while the console's address is localhost, sign-in moves there first and succeeds", async ({ page, stack }) => {
    const admin = stack.accounts.admin;
    const elsewhere = new URL("/sign-in?callbackUrl=%2Faudit", stack.consoleUrl.replace("localhost", "127.0.0.1"));
    await page.goto(elsewhere.toString());
    await expect(page).toHaveURL(`${stack.consoleUrl}/sign-in?callbackUrl=%2Faudit`);
    await page.getByLabel("E-mail").fill(admin.email);
    await page.getByLabel("Password").fill(admin.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.getByRole("navigation", { name: "Console" })).toBeVisible();
  });

  test("[AUTH][API]: tRPC refuses a caller without a session", async ({ request }) => {
    const res = await request.get("/api/trpc/me.whoami");
    expect(res.status()).toBe(401);
    expect(await res.text()).toContain("sign in to use the console");
  });
});
