// The quarterly effect report (issue 17) on the demo zone: the leader's dashboard shows its
// 帮扶效果 section with the quarter's figures and charts, and the printable report page
// /reports/effects shows the same figures, the comparison with its sample sizes and intervals
// (the demo's 2019 visits, 2018 → 2020), in Chinese.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, signIn, visit, assertChinese, closeBrowser, DEMO } from './lib.mjs';

after(closeBrowser);

test('the leader sees the effect figures on the dashboard and in the quarterly report', () =>
  withPage('effects-1', async (page) => {
    await signIn(page, DEMO.leader);
    await visit(page, '/dashboard', { step: 'dashboard' });
    const section = page.locator('#effects');
    await section.scrollIntoViewIfNeeded();
    assert.match(await section.locator('h2').innerText(), /帮扶效果（\d{4}Q[1-4]）/);
    const helped = Number(await section.locator('[data-figure="helped"]').innerText());
    assert.ok(Number.isInteger(helped) && helped >= 0, `helped ${helped}`);
    // The comparison table: the demo's 2019 visits, with their sample size.
    const row = section.locator('#effects-outcomes tbody tr', { hasText: '三.2' }).first();
    assert.match(await row.innerText(), /走访/);
    // Its sample size is shown; with enough of them an interval, with fewer "too few to tell"
    // (the browser suite's demo zone is small).
    const n = Number((await row.locator('td').nth(2).innerText()).trim());
    assert.ok(Number.isInteger(n) && n >= 0, `sample size ${n}`);
    const rowText = await row.innerText();
    assert.ok(n >= 30 ? /%/.test(rowText) : /样本太少/.test(rowText), rowText);
    // A chart of the lines that helped anyone in the dashboard's quarter.
    if (helped > 0) assert.ok(await section.locator('svg.effects-chart').count() >= 1, 'a chart');
    await page.shot('dashboard-effects');

    await visit(page, '/reports/effects?quarter=2022Q4', { step: 'report' });
    assert.match(await page.locator('h2').first().innerText(), /企业帮扶效果季报（2022Q4）/);
    assert.match(await page.locator('#effects-summary').innerText(), /帮扶企业 \d+ 家/);
    const text = await page.locator('main').innerText();
    assert.match(text, /可比未帮扶企业|无明显差异|样本太少/);
    assert.match(text, /问题反复/);
    await assertChinese(page);
    await page.shot('report');
  }));
