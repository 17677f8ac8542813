// Logistics watch on the pages (issue 15, 三.12 物流保通保畅): the 物流保通保畅 officer (`wuliu`,
// 城管环保局, named in the zone setting by the demo) sees the open obstruction reports with the
// time left and their light, the key enterprises by main mode and those without a profile, and
// records a profile through the form; the enterprise sees its own profile and reaches the
// problem form with the category 物流 chosen, at 1280 px and 375 px; another department's
// officer is refused; the leader's dashboard lists the line. The suite's server runs on the real
// clock: the demo's December 2022 reports are all past their hours.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, signIn, visit, closeBrowser, DEMO } from './lib.mjs';

after(closeBrowser);

const WIDE = { width: 1280, height: 900 };
const NARROW = { width: 375, height: 812 };
const OFFICER = { username: 'wuliu', password: 'wuliu-demo-2022' };

async function noSidewaysScroll(page, viewport) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= viewport.width + 1, `no sideways scrolling at ${viewport.width}px: ${width}`);
}

test('the officer sees the open reports and records a profile; the enterprise sees its own and reports', async () => {
  await withPage('logistics-officer', async (page) => {
    await signIn(page, OFFICER);
    await visit(page, '/logistics', { step: 'page' });
    const reports = page.locator('#reports');
    assert.match(await reports.innerText(), /快递网点停收园区包裹，成品无法发出/);
    const row = page.locator('#reports tr', { hasText: '快递网点停收园区包裹' });
    assert.match(await row.getAttribute('class'), /light-red/, 'past its hour on the real clock');
    assert.match(await row.innerText(), /已超时/);
    assert.match(await page.locator('#by-mode').innerText(), /公路/);
    assert.match(await page.locator('#officers').innerText(), /城管环保局物流保通保畅专员/);
    await page.shot('reports');

    // A profile through the form: a key enterprise without one if any, else an edit.
    const record = page.locator('#without-list a');
    const routes = `浏览器测试线路：京港澳高速 → 霞凝港 ${Date.now()}`;
    if (await record.count() > 0) {
      await Promise.all([page.waitForURL(/edit=/), record.first().click()]);
    } else {
      await Promise.all([page.waitForURL(/edit=/), page.locator('#profiles-table a', { hasText: '编辑' }).first().click()]);
    }
    const uscc = await page.locator('#profile-form input[name=uscc]').inputValue();
    assert.match(uscc, /^[0-9A-Z]{18}$/);
    await page.locator('#profile-form select[name=main_mode]').selectOption('rail');
    await page.locator('#profile-form input[name=other_modes][value=water]').check();
    await page.locator('#profile-form textarea[name=routes]').fill(routes);
    await Promise.all([page.waitForURL(/saved=/), page.locator('#profile-submit').click()]);
    assert.match(await page.locator('#logistics-notice').innerText(), /已保存/);
    const saved = page.locator(`#profile-${uscc}`);
    const text = await saved.innerText();
    assert.match(text, /铁路/);
    assert.match(text, /水运/);
    assert.ok(text.includes(routes), text);
    await page.shot('saved');
  }, { viewport: WIDE });

  for (const [name, viewport] of [['logistics-enterprise-wide', WIDE], ['logistics-enterprise-narrow', NARROW]]) {
    await withPage(name, async (page) => {
      await signIn(page, DEMO.enterprise);
      await visit(page, '/logistics', { step: 'own' });
      const own = await page.locator('#own-profile').innerText();
      assert.match(own, /公路/);
      assert.match(own, /京港澳高速/);
      assert.equal(await page.locator('#reports').count(), 0, 'no queue for an enterprise');
      assert.equal(await page.locator('#profile-form').count(), 0, 'nor the form');
      await noSidewaysScroll(page, viewport);
      await page.shot('own');
      await Promise.all([page.waitForURL(/\/problems\/new\?category=logistics/), page.locator('#report-obstruction').click()]);
      assert.equal(await page.locator('select#category').inputValue(), 'logistics');
      await page.shot('form');
    }, { viewport });
  }

  await withPage('logistics-refused', async (page) => {
    await signIn(page, DEMO.tax);
    const r = await page.goto('/logistics');
    assert.equal(r.status(), 403, 'the tax bureau does not read the logistics watch');
  }, { viewport: WIDE });

  await withPage('logistics-leader-dashboard', async (page) => {
    await signIn(page, DEMO.leader);
    await visit(page, '/dashboard', { step: 'dashboard' });
    const table = await page.locator('#service-lines-table').innerText();
    assert.match(table, /三\.12/);
    assert.match(table, /物流保通保畅/);
    await page.shot('service-lines');
  }, { viewport: WIDE });
});
