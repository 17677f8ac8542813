// Utility arrears on the pages (issue 15, 三.9): a utilities officer (经济发展局) sees the
// demo's two providers' records with their lights, the waivers due per provider and the
// violations linking to their problems; uploads a provider's later file (a paid date for an
// overdue record: a dry run first, then for real); the enterprise sees its own records and the
// waiver at 1280 px and 375 px; the leader's dashboard lists the line. The suite's server runs
// on the real clock: the paid date is today (China's civil date).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, signIn, visit, closeBrowser, DEMO } from './lib.mjs';

after(closeBrowser);

const WIDE = { width: 1280, height: 900 };
const NARROW = { width: 375, height: 812 };
const TODAY = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);

async function noSidewaysScroll(page, viewport) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= viewport.width + 1, `no sideways scrolling at ${viewport.width}px: ${width}`);
}

async function upload(page, csv, dry) {
  await page.setInputFiles('#import-form input[name=file]', { name: '补缴.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  if (dry) await page.locator('#import-form input[name=dry_run]').check();
  await Promise.all([page.waitForURL(/\/utilities\?imported=/), page.locator('#import-submit').click()]);
  return page.locator('#import-notice').innerText();
}

test('an officer reads the records and imports a file; the enterprise sees its waiver', async () => {
  for (const [name, viewport] of [['utilities-officer-wide', WIDE], ['utilities-officer-narrow', NARROW]]) {
    await withPage(name, async (page) => {
      await signIn(page, DEMO.department);
      await visit(page, '/utilities', { step: 'list' });
      const table = await page.locator('#arrears').innerText();
      assert.match(table, /国网长沙供电公司高新营业部/);
      assert.match(table, /长沙供水有限公司/);
      assert.match(table, /免收滞纳金/);
      const waivers = await page.locator('#waivers-table').innerText();
      assert.match(waivers, /长沙供水有限公司/);
      assert.ok(await page.locator('#violations-list a.problem-link').count() >= 4, 'each violation links to its problem');
      await noSidewaysScroll(page, viewport);
      await page.shot('records');
    }, { viewport });
  }

  await withPage('utilities-officer-imports', async (page) => {
    await signIn(page, DEMO.department);
    await visit(page, '/utilities', { step: 'form' });
    const csv = `供应单位,记录编号,补缴日期\n长沙供水有限公司,SF2022-009,${TODAY}\n`;
    const dry = await upload(page, csv, true);
    assert.match(dry, /预检通过/);
    const done = await upload(page, csv, false);
    assert.match(done, /已导入/);
    const row = page.locator('#arrears tr', { hasText: 'SF2022-009' });
    assert.match(await row.innerText(), /逾期补缴/);
    await page.shot('imported');
    // The violation's problem opens.
    await Promise.all([page.waitForURL(/\/problems\/\d+$/), page.locator('#violations-list a.problem-link').first().click()]);
    assert.match(await page.locator('main').innerText(), /违规收取/);
    await page.shot('problem');
  }, { viewport: WIDE });

  for (const [name, viewport] of [['utilities-enterprise-wide', WIDE], ['utilities-enterprise-narrow', NARROW]]) {
    await withPage(name, async (page) => {
      await signIn(page, DEMO.enterprise);
      await visit(page, '/utilities', { step: 'own' });
      const table = await page.locator('#arrears').innerText();
      assert.match(table, /适用免收滞纳金/);
      assert.match(table, /违规收取滞纳金/);
      assert.equal(await page.locator('#import-form').count(), 0, 'an enterprise imports nothing');
      assert.equal(await page.locator('#waivers-table').count(), 0, 'nor sees other providers\' waivers');
      await noSidewaysScroll(page, viewport);
      await page.shot('own');
    }, { viewport });
  }

  await withPage('utilities-leader-dashboard', async (page) => {
    await signIn(page, DEMO.leader);
    await visit(page, '/dashboard', { step: 'dashboard' });
    const table = await page.locator('#service-lines-table').innerText();
    assert.match(table, /三\.9/);
    assert.match(table, /水电气欠费免收滞纳金/);
    await page.shot('service-lines');
  }, { viewport: WIDE });
});
