import type { Page } from "@playwright/test";
import { expect, test } from "./support/fixtures";

/** Clicks through the samlify IdP's login page as `login`; its form auto-posts the SAMLResponse to the console's ACS. */
async function signInThroughSaml(page: Page, login: string): Promise<void> {
  await page.goto("/sign-in");
  await page.getByRole("button", { name: "Sign in with Test IdP" }).click();
  await expect(page.getByRole("heading", { name: "Test SAML IdP" })).toBeVisible();
  await page.getByRole("button", { name: `Continue as ${login}` }).click();
  await expect(page.getByRole("navigation", { name: "Console" })).toBeVisible();
}

test.describe("SAML sign-in", () => {
  test("[AUTH][SAML]: signing in through the SAML IdP; group gh-admins makes an admin; sign-out also signs out at the IdP", async ({ page, stack, shot }) => {
    await page.goto("/sign-in");
    await shot(page, "sign-in-with-saml");
    await signInThroughSaml(page, stack.samlIdp.logins.admin);
    await expect(page.getByText("Sasha Saml")).toBeVisible();
    await expect(page.getByRole("link", { name: "Connections" }).first()).toBeVisible();

    const sentToIdp: string[] = [];
    page.on("request", (r) => {
      if (r.url().startsWith(`${stack.samlIdp.url}/slo?SAMLRequest=`)) sentToIdp.push(r.url());
    });
    await page.getByRole("button", { name: "Sign out" }).first().click();
    await expect(page).toHaveURL(/\/sign-in\?signedOut=1/);
    expect(sentToIdp, "a LogoutRequest went to the IdP's SingleLogoutService").toHaveLength(1);
    await page.goto("/");
    await expect(page).toHaveURL(/\/sign-in/);
  });

  test("[AUTH][SAML][SLO]: a member signs in; the IdP's own LogoutRequest ends the console session", async ({ page, stack }) => {
    await signInThroughSaml(page, stack.samlIdp.logins.member);
    await expect(page.getByText("Sam Saml")).toBeVisible();
    await expect(page.getByText("member", { exact: true }).first()).toBeVisible();
    await expect(page.getByRole("link", { name: "Connections" })).toHaveCount(0);

    await page.goto(`${stack.samlIdp.url}/test/logout-request?email=${encodeURIComponent(stack.samlIdp.emails.member)}`);
    await expect(page.getByRole("heading", { name: "Signed out at the test SAML IdP" })).toBeVisible();
    await page.goto("/");
    await expect(page).toHaveURL(/\/sign-in/);
  });

  test("[AUTH][SAML][REPLAY]: the same SAMLResponse posted again is refused with a reason on the sign-in page", async ({ page, stack, shot }) => {
    let captured: string | undefined;
    await page.route("**/api/saml/acs", async (route) => {
      captured ??= route.request().postData() ?? undefined;
      await route.continue();
    });
    await signInThroughSaml(page, stack.samlIdp.logins.member);
    expect(captured, "the IdP's form post").toContain("SAMLResponse=");
    await page.context().clearCookies();

    const form = new URLSearchParams(captured!);
    // A blank page of its own: setContent over the console's page races its hydration.
    await page.goto("about:blank");
    await page.setContent(`<form method="post" action="${stack.consoleUrl}/api/saml/acs"><input type="hidden" name="SAMLResponse" value="${form.get("SAMLResponse")}"><button>again</button></form>`);
    await page.getByRole("button", { name: "again" }).click();
    await expect(page).toHaveURL(/\/sign-in\?error=SamlReplayed/);
    await expect(page.getByText("That sign-in answer was already used once. Sign in again.")).toBeVisible();
    await shot(page, "sign-in-saml-replayed");
  });
});
