// Notifications (通知, issue 14) in the browser, at 1280 px and at 375 px: an enterprise raises
// a problem; the tax bureau's officer sees the bell's count rise (its accessible name says
// 通知（N 条未读）), opens the notifications page, clicks the new one, lands on the problem, and
// the count falls by one. At 375 px the bell is a 44 px target and nothing overflows.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, signIn, signOut, visit, mainText, closeBrowser, overflow, DEMO } from './lib.mjs';

after(closeBrowser);

/** The bell's count (0 when hidden), checked against its accessible name. */
async function bell(page) {
  const b = page.locator('#bell');
  assert.equal(await b.count(), 1, 'the header has the bell');
  const label = await b.getAttribute('aria-label');
  const m = label.match(/^通知（(\d+) 条未读）$/);
  assert.ok(m, `accessible name: ${label}`);
  const n = Number(m[1]);
  const count = page.locator('#bell-count');
  if (n === 0) {
    assert.equal(await count.count(), 0, 'no number at 0');
  } else {
    const shown = await count.innerText();
    assert.equal(shown, n > 99 ? '99+' : String(n));
  }
  return n;
}

for (const [label, viewport] of [['1280', { width: 1280, height: 800 }], ['375', { width: 375, height: 812 }]]) {
  test(`a problem raised rings the department's bell, which falls once it is opened (${label} px)`, () =>
    withPage(`notifications-${label}`, async (page) => {
      const title = `发票领用问题（通知测试 ${label} ${Date.now()}）`;
      await signIn(page, DEMO.tax);
      const before = await bell(page);
      await signOut(page);

      await signIn(page, DEMO.enterprise);
      await visit(page, '/problems/new', { step: 'new-form' });
      await page.getByLabel('问题类别').selectOption({ label: '涉税' });
      await page.getByLabel('问题标题').fill(title);
      await page.getByLabel('问题描述').fill('申请增加发票领用份数，请税务局协助。');
      await Promise.all([page.waitForURL(/\/problems\/\d+$/), page.getByRole('button', { name: '提交问题' }).click()]);
      const problemPath = new URL(page.url()).pathname;
      await page.shot('raised');
      await signOut(page);

      await signIn(page, DEMO.tax);
      const risen = await bell(page);
      assert.equal(risen, before + 1, `the bell rises by one: ${before} → ${risen}`);
      if (viewport.width === 375) {
        const box = await page.locator('#bell').boundingBox();
        assert.ok(box.width >= 44 && box.height >= 44, `a 44 px target: ${box.width}×${box.height}`);
        assert.deepEqual(await overflow(page), [], 'the header fits 375 px');
      }
      await Promise.all([page.waitForURL(/\/notifications$/), page.locator('#bell').click()]);
      await page.shot('notifications');
      const item = page.locator('#notifications li', { hasText: title });
      assert.equal(await item.count(), 1, 'the new notification is listed');
      assert.equal(await item.getAttribute('class'), 'unread');
      assert.equal(await item.locator('.text').evaluate((e) => getComputedStyle(e).fontWeight), '700', 'unread is bold');
      assert.match(await item.innerText(), /派单/);
      if (viewport.width === 375) assert.deepEqual(await overflow(page), [], 'the page fits 375 px');
      await Promise.all([page.waitForURL((u) => u.pathname === problemPath), item.locator('a').click()]);
      await page.shot('problem');
      assert.match(await mainText(page), new RegExp(title.replace(/[()（）]/g, '.')));
      assert.equal(await bell(page), risen - 1, 'the count falls once opened');
      await visit(page, '/notifications', { step: 'read' });
      assert.equal(await page.locator('#notifications li', { hasText: title }).getAttribute('class'), 'read');
    }, { viewport }));
}
