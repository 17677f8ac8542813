// Financing on the pages (issue 15, 三.5 and 三.8): the enterprise posts a demand from the
// financing page and sees the bank's product matched with its explanation; the bank's user
// (`yinhang`) finds the demand among those matched to its products, accepts it and grants the
// loan; the 科技金融服务中心 officer (`kejin`) sees the outcome on the demand and on the list
// with its lights. The enterprise's and the officer's pages at 1280 px and 375 px, screenshots
// kept. The suite's server runs on the real clock: the loan is granted today.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, signIn, visit, closeBrowser, DEMO } from './lib.mjs';

after(closeBrowser);

const WIDE = { width: 1280, height: 900 };
const NARROW = { width: 375, height: 812 };
const PURPOSE = `购置检测设备、扩建中试线 ${Date.now() % 100000}`;

async function noSidewaysScroll(page, viewport) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= viewport.width + 1, `no sideways scrolling at ${viewport.width}px: ${width}`);
}

test('an enterprise posts a demand, the bank grants the loan, the officer sees the outcome', async () => {
  let demandPath = null;
  await withPage('financing-enterprise-posts', async (page) => {
    await signIn(page, DEMO.enterprise);
    await visit(page, '/financing', { step: 'list' });
    const form = page.locator('#post form');
    await form.locator('select[name=kind]').selectOption('loan');
    await form.locator('input[name=amount]').fill('200万');
    await form.locator('input[name=term_months]').fill('24');
    await form.locator('textarea[name=purpose]').fill(PURPOSE);
    await form.locator('input[name=collateral]').fill('房产、应收账款、知识产权');
    await Promise.all([page.waitForURL(/\/financing\/\d+$/), page.locator('#post-demand').click()]);
    demandPath = new URL(page.url()).pathname;
    assert.match(await page.locator('#demand-state').innerText(), /已匹配/);
    const matches = await page.locator('#matches').innerText();
    assert.match(matches, /长沙银行高新支行/);
    assert.match(matches, /额度/);
    assert.equal(await page.locator('#close').count(), 1, 'the enterprise may withdraw it');
    assert.equal(await page.locator('#respond').count(), 0);
    await page.shot('posted');
  }, { viewport: WIDE });

  for (const [name, viewport] of [['financing-enterprise-wide', WIDE], ['financing-enterprise-narrow', NARROW]]) {
    await withPage(name, async (page) => {
      await signIn(page, DEMO.enterprise);
      await visit(page, '/financing', { step: 'list' });
      await page.locator(`#demands a[href="${demandPath}"]`).waitFor();
      await noSidewaysScroll(page, viewport);
      await visit(page, demandPath, { step: 'demand' });
      await noSidewaysScroll(page, viewport);
      await page.shot('demand');
    }, { viewport });
  }

  await withPage('financing-bank-grants', async (page) => {
    await signIn(page, DEMO.bank);
    await visit(page, '/financing', { step: 'matched-to-us' });
    assert.match(await page.locator('#institution').innerText(), /长沙银行高新支行/);
    assert.ok(await page.locator('#products tr').count() >= 3, 'the bank sees its products');
    await Promise.all([page.waitForURL(new RegExp(`${demandPath}$`)), page.locator(`#demands a[href="${demandPath}"]`).click()]);
    const respond = page.locator('#respond form');
    await respond.locator('select[name=response]').selectOption('accepted');
    await Promise.all([page.waitForURL(new RegExp(`${demandPath}$`)), page.locator('#respond-submit').click()]);
    assert.match(await page.locator('#demand-state').innerText(), /受理中/);
    await respond.locator('select[name=response]').selectOption('granted');
    await respond.locator('input[name=amount]').fill('180万');
    await Promise.all([page.waitForURL(new RegExp(`${demandPath}$`)), page.locator('#respond-submit').click()]);
    assert.match(await page.locator('#demand-state').innerText(), /已放款/);
    assert.equal(await page.locator('#respond').count(), 0, 'no more answers after the outcome');
    await page.shot('granted');
  }, { viewport: WIDE });

  for (const [name, viewport] of [['financing-officer-wide', WIDE], ['financing-officer-narrow', NARROW]]) {
    await withPage(name, async (page) => {
      await signIn(page, DEMO.financeOfficer);
      await visit(page, '/financing?state=granted', { step: 'granted' });
      await page.locator(`#demands a[href="${demandPath}"]`).waitFor();
      assert.equal(await page.locator('#financing-export').count(), 1);
      await noSidewaysScroll(page, viewport);
      await visit(page, demandPath, { step: 'outcome' });
      assert.match(await page.locator('#granted').innerText(), /1800000 元/);
      assert.match(await page.locator('#responses').innerText(), /放款/);
      await noSidewaysScroll(page, viewport);
      await page.shot('outcome');
    }, { viewport });
  }
});
