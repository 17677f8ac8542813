// Signing in as each role, a failed sign-in, a forbidden page.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, signIn, signOut, visit, mainText, assertChinese, closeBrowser, apiToken, apiGet, DEMO } from './lib.mjs';

after(closeBrowser);

for (const [role, login] of Object.entries(DEMO)) {
  test(`${role} (${login.username}) signs in and sees a populated Chinese home`, () =>
    withPage(`signin-${login.username}`, async (page) => {
      await signIn(page, login);
      await visit(page, '/', { step: 'home' });
      await assertChinese(page);
      const nav = page.getByRole('navigation', { name: '主导航' });
      assert.ok(await nav.getByRole('link', { name: '首页' }).isVisible(), 'navigation shown');
      const text = await mainText(page);
      if (role === 'enterprise') {
        // Its own profile and its matched policies.
        assert.match(text, /统一社会信用代码/);
        assert.match(text, /匹配的政策/);
        assert.ok((await page.locator('li.decision').count()) > 0, 'matched policies listed');
      } else if (role === 'admin') {
        // The administration's entry points (homes.test.mjs checks each role's home in full).
        assert.ok((await page.locator('#admin-entries li').count()) > 5, 'admin entry points');
      } else {
        // A list with rows: the queue, the dashboard's KPI table, a cadre's visits due, the
        // directory.
        assert.ok((await page.locator('main table tbody tr').count()) > 1, `rows for ${role}`);
      }
      await signOut(page);
      await page.shot('signed-out');
    }));
}

test('a wrong password is refused with a message, and nothing opens', () =>
  withPage('signin-failure', async (page) => {
    await page.goto('/login');
    await page.getByLabel('用户名').fill(DEMO.enterprise.username);
    await page.getByLabel('密码').fill('not-the-password');
    await page.getByRole('button', { name: '登录' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /用户名或密码错误/);
    await page.shot('refused');
    const resp = await page.goto('/');
    assert.match(new URL(page.url()).pathname, /^\/login/, 'still signed out');
    assert.equal(resp.status(), 200);
  }));

test('an enterprise user opening the user administration is refused', async () => {
  const me = await apiGet('/api/v1/me', await apiToken(DEMO.enterprise));
  const list = await apiGet('/api/v1/enterprises?per_page=5', await apiToken(DEMO.admin));
  const other = list.items.find((e) => e.uscc !== me.enterprise).uscc;
  await withPage('forbidden', async (page) => {
    await signIn(page, DEMO.enterprise);
    await visit(page, '/admin/users', { status: 403, step: 'admin-users-refused' });
    assert.match(await mainText(page), /无权/);
    // Nor may it read another enterprise's decisions: hidden as not found.
    await visit(page, `/explore?enterprise=${other}`, { status: 404, step: 'other-enterprise-hidden' });
    assert.doesNotMatch(await page.content(), new RegExp(list.items.find((e) => e.uscc === other).name));
  });
});
