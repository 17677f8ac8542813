// Supply chains on the pages (三.11, issue 15): the enterprise posts a supply demand from the
// chains page and sees the zone's suppliers matched to it with their reasons; the chain
// office (经济发展局) introduces the first candidate from the demand's page and records the
// outcome; the leader's dashboard lists the line. The enterprise's pages at 1280 px and
// 375 px, the officer's at 1280 px, screenshots kept. The suite's server runs on the real
// clock: the demand is needed thirty days from now.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, signIn, visit, closeBrowser, DEMO } from './lib.mjs';

after(closeBrowser);

const WIDE = { width: 1280, height: 900 };
const NARROW = { width: 375, height: 812 };
const WHAT = `液压油缸及密封件配套 ${Date.now() % 100000}`;
// Thirty days from now, as China's civil date (UTC+8).
const DAY = new Date(Date.now() + 8 * 3600e3 + 30 * 86400e3).toISOString().slice(0, 10);

async function noSidewaysScroll(page, viewport) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= viewport.width + 1, `no sideways scrolling at ${viewport.width}px: ${width}`);
}

test('an enterprise posts a demand, sees matched suppliers, the office introduces one', async () => {
  let demandPath = null;
  for (const [name, viewport] of [['chains-enterprise-wide', WIDE], ['chains-enterprise-narrow', NARROW]]) {
    await withPage(name, async (page) => {
      await signIn(page, DEMO.enterprise);
      await visit(page, '/chains', { step: 'list' });
      await noSidewaysScroll(page, viewport);
      if (viewport === WIDE) {
        const form = page.locator('#post form');
        await form.locator('textarea[name=description]').fill(WHAT);
        await form.locator('input[name=quantity]').fill('每月 100 套');
        await form.locator('input[name=needed_by]').fill(DAY);
        await Promise.all([page.waitForURL(/\/chains\/\d+$/), page.locator('#post-demand').click()]);
        demandPath = new URL(page.url()).pathname;
      } else {
        await visit(page, demandPath, { step: 'demand' });
      }
      assert.equal(await page.locator('#demand-state').innerText(), '待对接');
      const candidates = await page.locator('#candidates').innerText();
      assert.match(candidates, /共有关键词/);
      assert.match(candidates, /液压|密封/);
      assert.equal(await page.locator('#introduce-form').count(), 0, 'an enterprise does not introduce');
      await noSidewaysScroll(page, viewport);
      await page.shot('demand');
    }, { viewport });
  }

  await withPage('chains-officer-introduces', async (page) => {
    await signIn(page, DEMO.department);
    await visit(page, '/chains', { step: 'list' });
    assert.match(await page.locator('#demands').innerText(), /液压油缸及密封件配套/);
    await visit(page, demandPath, { step: 'demand' });
    const first = page.locator('#candidates tbody tr').first();
    await Promise.all([page.waitForURL(new RegExp(`${demandPath}$`)), first.locator('button').click()]);
    assert.equal(await page.locator('#demand-state').innerText(), '已对接');
    const row = page.locator('#introductions tbody tr').first();
    await row.locator('select[name=outcome]').selectOption('agreed');
    await row.locator('input[name=note]').fill('签订供货框架协议');
    await Promise.all([page.waitForURL(new RegExp(`${demandPath}$`)), row.locator('button').click()]);
    assert.match(await page.locator('#introductions').innerText(), /达成合作/);
    await page.shot('introduced');
  }, { viewport: WIDE });

  await withPage('chains-leader-dashboard', async (page) => {
    await signIn(page, DEMO.leader);
    await visit(page, '/dashboard', { step: 'dashboard' });
    const table = await page.locator('#service-lines-table').innerText();
    assert.match(table, /三\.11/);
    assert.match(table, /产业链配套对接/);
    await page.shot('service-lines');
  }, { viewport: WIDE });
});
