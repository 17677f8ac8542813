// Events on the pages (issue 15): a department officer publishes a training from the events
// page; the enterprise finds it in its list, registers two attendees from the event's page and
// sees its registration; the officer sees the enterprise on the roster and the leader's
// dashboard lists the line. The enterprise's pages at 1280 px and 375 px, screenshots kept.
// The suite's server runs on the real clock (`huiqi serve`): the event is ten days ahead.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, signIn, visit, closeBrowser, DEMO } from './lib.mjs';

after(closeBrowser);

const WIDE = { width: 1280, height: 900 };
const NARROW = { width: 375, height: 812 };
const TITLE = `精益生产专题培训 ${Date.now() % 100000}`;
// Ten days from now, as China's civil date (UTC+8), for datetime-local inputs.
const DAY = new Date(Date.now() + 8 * 3600e3 + 10 * 86400e3).toISOString().slice(0, 10);

async function noSidewaysScroll(page, viewport) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= viewport.width + 1, `no sideways scrolling at ${viewport.width}px: ${width}`);
}

test('an officer publishes, an enterprise registers, the roster and the dashboard show it', async () => {
  let eventPath = null;
  await withPage('events-officer-publishes', async (page) => {
    await signIn(page, DEMO.department);
    await visit(page, '/events', { step: 'list' });
    const form = page.locator('#publish form');
    await form.locator('select[name=kind]').selectOption({ label: '专题培训' });
    await form.locator('input[name=title]').fill(TITLE);
    await form.locator('textarea[name=description]').fill('精益生产与现场管理，面向园区企业。');
    await form.locator('input[name=place]').fill('麓谷企业广场服务中心');
    await form.locator('input[name=starts_at]').fill(`${DAY}T09:00`);
    await form.locator('input[name=ends_at]').fill(`${DAY}T11:30`);
    await form.locator('input[name=capacity]').fill('30');
    await Promise.all([page.waitForURL(/\/events\/\d+$/), page.locator('#publish-event').click()]);
    eventPath = new URL(page.url()).pathname;
    assert.match(await page.locator('h1').innerText(), /精益生产专题培训/);
    await page.shot('published');
  }, { viewport: WIDE });

  for (const [name, viewport] of [['events-enterprise-wide', WIDE], ['events-enterprise-narrow', NARROW]]) {
    await withPage(name, async (page) => {
      await signIn(page, DEMO.enterprise);
      await visit(page, '/events', { step: 'list' });
      const row = page.locator('#events tr', { hasText: TITLE });
      await row.first().waitFor();
      await noSidewaysScroll(page, viewport);
      await Promise.all([page.waitForURL(new RegExp(`${eventPath}$`)), row.locator('a').first().click()]);
      if (viewport === WIDE) {
        await page.locator('#register-form input[name=attendees]').fill('2');
        await page.locator('#register-form input[name=names]').fill('张三、李四');
        await Promise.all([page.waitForURL(new RegExp(`${eventPath}$`)), page.locator('#register').click()]);
      }
      assert.equal(await page.locator('#my-registration').innerText(), '已报名');
      assert.equal(await page.locator('#roster').count(), 0, 'an enterprise sees no roster');
      await noSidewaysScroll(page, viewport);
      await page.shot('registered');
    }, { viewport });
  }

  await withPage('events-officer-roster', async (page) => {
    await signIn(page, DEMO.department);
    await visit(page, eventPath, { step: 'roster' });
    const roster = await page.locator('#roster').innerText();
    assert.match(roster, /已报名/);
    assert.match(roster, /张三、李四/);
    await page.shot('roster');
  }, { viewport: WIDE });

  await withPage('events-leader-dashboard', async (page) => {
    await signIn(page, DEMO.leader);
    await visit(page, '/dashboard', { step: 'dashboard' });
    const table = await page.locator('#service-lines-table').innerText();
    assert.match(table, /三\.15/);
    assert.match(table, /专题培训/);
    await page.shot('service-lines');
  }, { viewport: WIDE });
});
