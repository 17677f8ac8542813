// 一企一对策 and credit repair on the pages (issue 15, 三.7 and 三.16): the officer of
// 经济发展局 makes a plan for the demo enterprise with a measure owned by the tax bureau; the
// tax officer marks it done from the plan's page; the enterprise sees it from its home. The
// credit office records a case for the enterprise and records its training; the enterprise
// sees its next step. The officer's and the enterprise's pages at 1280 px and 375 px,
// screenshots kept. The suite's server runs on the real clock (the demo is dated 2022): the
// dates are computed from Date.now().
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, signIn, visit, closeBrowser, apiToken, apiGet, DEMO } from './lib.mjs';

after(closeBrowser);

const WIDE = { width: 1280, height: 900 };
const NARROW = { width: 375, height: 812 };
const CHINA = (days) => new Date(Date.now() + 8 * 3600e3 + days * 86400e3).toISOString().slice(0, 10);
const TODAY = CHINA(0);
const DUE = CHINA(30);
const MEASURE = `对接科技信用贷款 ${Date.now() % 100000}`;
const SOURCE = `市场监管局行政处罚决定 ${Date.now() % 100000}`;

async function noSidewaysScroll(page, viewport) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= viewport.width + 1, `no sideways scrolling at ${viewport.width}px: ${width}`);
}

async function enterpriseCode() {
  const plans = await apiGet('/api/v1/plans', await apiToken(DEMO.enterprise));
  assert.ok(plans.length >= 1, 'the demo enterprise has a plan');
  return plans[0].uscc;
}

test('an officer makes a plan, the tax bureau completes its measure, the enterprise sees it', async () => {
  const uscc = await enterpriseCode();
  let planPath = null;
  await withPage('plans-officer-creates', async (page) => {
    await signIn(page, DEMO.department);
    await visit(page, '/plans', { step: 'list' });
    const form = page.locator('#plan-form');
    await form.locator('input[name=uscc]').fill(uscc);
    await form.locator('select[name=programme]').selectOption({ label: '高成长' });
    await form.locator('input[name=diagnosed_on]').fill(TODAY);
    await form.locator('input[name=experts]').fill('湖南大学工商管理学院专家团队');
    await form.locator('textarea[name=findings]').fill('研发投入偏低，融资渠道单一。');
    const first = form.locator('fieldset.measure-input').first();
    await first.locator('input[name=title]').fill(MEASURE);
    await first.locator('select[name=owner_department]').selectOption({ label: '税务局' });
    await first.locator('input[name=deadline]').fill(DUE);
    await Promise.all([page.waitForURL(/\/plans\/\d+$/), page.locator('#create-plan').click()]);
    planPath = new URL(page.url()).pathname;
    const row = page.locator('#measures tr', { hasText: MEASURE });
    assert.match(await row.innerText(), /税务局/);
    assert.match(await row.innerText(), /未开始/);
    assert.equal(await page.locator('#review-form').count(), 1, 'the running department reviews');
    await page.shot('created');
  }, { viewport: WIDE });

  await withPage('plans-tax-completes', async (page) => {
    await signIn(page, DEMO.tax);
    await visit(page, planPath, { step: 'plan' });
    assert.equal(await page.locator('#review-form').count(), 0, 'an owner department does not review');
    const row = page.locator('#measures tr', { hasText: MEASURE });
    await row.locator('select[name=status]').selectOption({ label: '已完成' });
    await row.locator('input[name=note]').fill('已完成加计扣除申报辅导');
    await Promise.all([page.waitForURL(new RegExp(`${planPath}`)), row.locator('button').click()]);
    assert.match(await page.locator('#measures tr', { hasText: MEASURE }).locator('.measure-status').innerText(), /已完成/);
    await page.shot('done');
  }, { viewport: WIDE });

  for (const [name, viewport] of [['plans-enterprise-wide', WIDE], ['plans-enterprise-narrow', NARROW]]) {
    await withPage(name, async (page) => {
      await signIn(page, DEMO.enterprise);
      const link = page.locator(`#home-plans a[href="${planPath}"]`);
      await link.waitFor();
      await noSidewaysScroll(page, viewport);
      await Promise.all([page.waitForURL(new RegExp(`${planPath}$`)), link.click()]);
      const row = page.locator('#measures tr', { hasText: MEASURE });
      assert.match(await row.innerText(), /已完成/);
      assert.equal(await page.locator('form.measure-form, #review-form, #add-measure-form').count(), 0, 'the enterprise reads');
      await noSidewaysScroll(page, viewport);
      await page.shot('plan');
    }, { viewport });
  }

  await withPage('plans-officer-narrow', async (page) => {
    await signIn(page, DEMO.department);
    await visit(page, '/plans?behind=true', { step: 'behind' });
    assert.ok(await page.locator('#plans tr.light-red').count() >= 1, 'the demo plans behind schedule are lit');
    await noSidewaysScroll(page, NARROW);
    await visit(page, planPath, { step: 'plan' });
    await noSidewaysScroll(page, NARROW);
  }, { viewport: NARROW });
});

test('the credit office records a case and its training, the enterprise sees its next step', async () => {
  const uscc = await enterpriseCode();
  let casePath = null;
  await withPage('repair-officer', async (page) => {
    await signIn(page, DEMO.department);
    await visit(page, '/credit-repair', { step: 'list' });
    const form = page.locator('#repair-form');
    await form.locator('input[name=uscc]').fill(uscc);
    await form.locator('select[name=kind]').selectOption({ label: '行政处罚' });
    await form.locator('input[name=source]').fill(SOURCE);
    await form.locator('input[name=record_date]').fill('2022-05-10');
    await form.locator('textarea[name=conditions]').fill('履行处罚决定；参加培训；签署信用承诺书。');
    await Promise.all([page.waitForURL(/\/credit-repair\/\d+$/), page.locator('#open-repair').click()]);
    casePath = new URL(page.url()).pathname;
    assert.equal(await page.locator('#repair-step').innerText(), '已立案');
    await page.locator('#advance-form select[name=step]').selectOption({ label: '已参加培训' });
    await Promise.all([page.waitForURL(new RegExp(`${casePath}$`)), page.locator('#advance-submit').click()]);
    assert.equal(await page.locator('#repair-step').innerText(), '已参加培训');
    await page.shot('advanced');
  }, { viewport: WIDE });

  for (const [name, viewport] of [['repair-enterprise-wide', WIDE], ['repair-enterprise-narrow', NARROW]]) {
    await withPage(name, async (page) => {
      await signIn(page, DEMO.enterprise);
      const link = page.locator(`#home-repairs a[href="${casePath}"]`);
      await link.waitFor();
      await Promise.all([page.waitForURL(new RegExp(`${casePath}$`)), link.click()]);
      assert.match(await page.locator('#repair-next').innerText(), /签署并提交信用承诺书/);
      assert.equal(await page.locator('#advance-form').count(), 0, 'the enterprise reads');
      await noSidewaysScroll(page, viewport);
      await page.shot('case');
    }, { viewport });
  }

  await withPage('repair-officer-narrow', async (page) => {
    await signIn(page, DEMO.department);
    await visit(page, '/credit-repair', { step: 'list' });
    assert.ok(await page.locator(`#repairs a[href="${casePath}"]`).count() >= 1);
    await noSidewaysScroll(page, NARROW);
    await visit(page, casePath, { step: 'case' });
    await noSidewaysScroll(page, NARROW);
  }, { viewport: NARROW });
});
