// The policy pages: the library with its filters, an item (source text beside its rule,
// parameters, test results), the eligibility explorer, and the enterprise's matched policies.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, signIn, visit, mainText, assertChinese, closeBrowser, apiToken, apiGet, DEMO } from './lib.mjs';

after(closeBrowser);

test('the policy officer filters the library and opens an item with its rule and test results', () =>
  withPage('policy-library', async (page) => {
    await signIn(page, DEMO.policy);
    await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '政策库' }).click();
    await page.waitForURL(/\/policies$/);
    await assertChinese(page);
    await page.shot('library');
    const all = await page.locator('main table tbody tr').count();
    assert.ok(all >= 30, `items listed: ${all}`);
    // Zone level, granted without application, in force on 2022-06-30.
    await page.getByLabel('层级').selectOption('zone');
    await page.getByLabel('免申即享').selectOption('true');
    await page.getByLabel('在该日期有效').fill('2022-06-30');
    await Promise.all([page.waitForURL(/level=zone/), page.getByRole('button', { name: '筛选' }).click()]);
    await page.shot('library-filtered');
    const filtered = await page.locator('main table tbody tr').count();
    assert.ok(filtered > 0 && filtered < all, `filtered ${filtered} of ${all}`);
    assert.doesNotMatch(await mainText(page), /国家税务总局/, 'national documents filtered out');
    // Open the first-recognition award.
    await page.getByRole('link', { name: /首次认定高新技术企业奖励/ }).click();
    await page.waitForURL(/\/items\/zone-first-hitech-award/);
    await page.shot('item');
    const text = await mainText(page);
    assert.match(text, /政策原文/);
    assert.match(text, /适用条件/);
    // The rule reads in plain Chinese: facts and parameters by their labels, not their ids.
    assert.match(text, /首次认定为高新技术企业的日期/);
    assert.match(text, /首次认定高新技术企业奖励（示例）/);
    assert.doesNotMatch(text, /hitech_first_recognized_on/);
    assert.ok((await page.locator('main .badge.ok').count()) > 0, 'passing test cases shown');
    assert.equal(await page.locator('main .badge.no').count(), 0, 'no failing test case');
    // Simulate raising the award: the whole demo zone before and after.
    await page.getByRole('link', { name: '模拟参数调整' }).click();
    await page.waitForURL(/\/simulate/);
    await page.getByLabel('新值', { exact: true }).fill('300000');
    await page.getByLabel('新值生效日期').fill('2022-01-01');
    await page.getByLabel('评估日期').fill('2022-06-30');
    await Promise.all([page.waitForURL(/value=300000/), page.getByRole('button', { name: '模拟' }).click()]);
    await page.shot('simulated');
    assert.match(await mainText(page), /模拟结果（全部 \d+ 家帮扶对象）/);
    assert.match(await mainText(page), /总成本变化/);
  }));

test('the explorer finds an enterprise by name and explains an item, condition by condition', async () => {
  const token = await apiToken(DEMO.policy);
  const list = await apiGet('/api/v1/enterprises?per_page=1&assistance_target=false', token);
  assert.ok(list.items.length === 1, 'the demo zone has a non-target enterprise');
  const target = list.items[0];
  await withPage('policy-explorer', async (page) => {
    await signIn(page, DEMO.policy);
    await visit(page, '/explore', { step: 'explorer' });
    await page.getByLabel('企业（统一社会信用代码或名称）').fill(target.name);
    await page.getByLabel('政策条款').selectOption('zone-first-hitech-award');
    await page.getByLabel('评估日期').fill('2022-06-30');
    await Promise.all([page.waitForURL(/item=zone-first-hitech-award/), page.getByRole('button', { name: '查询' }).click()]);
    await page.shot('explained');
    const text = await mainText(page);
    assert.match(text, new RegExp(target.uscc));
    // Not an assistance target: not eligible, and the tree names the registration facts.
    assert.match(text, /不符合/);
    assert.match(text, /判定过程/);
    assert.match(text, /工商注册在园区/);
    // All items for that enterprise.
    await page.getByLabel('政策条款').selectOption('');
    await Promise.all([page.waitForURL((u) => !u.search.includes('item=zone')), page.getByRole('button', { name: '查询' }).click()]);
    await page.shot('all-items');
    assert.ok((await page.locator('li.decision').count()) > 10, 'every item in force decided');
  });
});

test('the enterprise sees its matched policies, why, and what data is missing', () =>
  withPage('enterprise-matches', async (page) => {
    await signIn(page, DEMO.enterprise);
    await visit(page, '/', { step: 'home' });
    const matches = page.locator('section', { has: page.getByRole('heading', { name: '匹配的政策' }) });
    assert.ok((await matches.locator('li.decision').count()) > 0);
    const text = await matches.innerText();
    assert.match(text, /符合|不符合|待定/);
    // The demo holds no recognition data: some items wait for data and say whom to ask.
    assert.match(text, /缺少以下数据/);
    assert.match(text, /驻企干部|税务局|经济发展局/);
    // 政策匹配: the explorer fixed to its own enterprise.
    await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '政策匹配' }).click();
    await page.waitForURL(/\/explore/);
    await page.shot('own-explorer');
    assert.equal(await page.getByLabel('企业（统一社会信用代码或名称）').count(), 0, 'no enterprise picker');
    await page.getByLabel('评估日期').fill('2022-06-30');
    await Promise.all([page.waitForURL(/date=2022-06-30/), page.getByRole('button', { name: '查询' }).click()]);
    await page.shot('own-2022');
    assert.ok((await page.locator('li.decision').count()) > 10);
    // Open one decision's explanation from the list.
    await page.locator('li.decision h3 a').first().click();
    await page.waitForURL(/item=/);
    await page.shot('own-explained');
    assert.match(await mainText(page), /判定过程/);
  }));
