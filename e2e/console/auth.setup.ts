import { test as setup } from "./support/fixtures";
import { signInLocal, storageStateFor } from "./support/fixtures";
import { ROLES } from "./support/console-stack";

// Signs each role in once through the local-account form and saves the browser state for the other tests.
for (const role of ROLES) {
  setup(`[AUTH][SETUP]: sign in as ${role}`, async ({ page, stack }) => {
    const account = stack.accounts[role];
    await signInLocal(page, account.email, account.password);
    await page.context().storageState({ path: storageStateFor(role) });
  });
}
