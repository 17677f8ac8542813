// 免申即享 grants on the pages (issue 12): the enterprise sees its paid grant (date and
// voucher) and its grant in publicity, on its home and on /grants/mine; officials approve the run in publicity (the leader on
// the run page, further approvers through the API as the total's band requires), the finance
// officer issues the payment file on the run page and uploads the payment results; the
// enterprise then sees that grant paid. At 1280 px and 375 px, screenshots kept.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, signIn, visit, closeBrowser, DEMO, BASE, apiToken, apiGet } from './lib.mjs';

after(closeBrowser);

const WIDE = { width: 1280, height: 900 };
const NARROW = { width: 375, height: 812 };
const FINANCE = { username: 'caiwu', password: 'caiwu-demo-2022' };

async function apiPost(path, token, body) {
  const r = await fetch(`${BASE}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  assert.equal(r.status, 200, `POST ${path}: ${await r.clone().text()}`);
  return r.json();
}

async function publicityRun() {
  const token = await apiToken(DEMO.policy);
  const runs = await apiGet('/api/v1/grants/runs', token);
  const run = runs.find((r) => r.item === 'zone-srdi-municipal-award');
  assert.ok(run, `the demo has a run in publicity: ${JSON.stringify(runs.map((r) => r.item))}`);
  return run;
}

/** The enterprise's grant card of an item on /grants/mine. */
async function card(page, title) {
  const c = page.locator('article.grant', { hasText: title }).first();
  await c.waitFor();
  return c;
}

test('an enterprise sees one grant paid and one in publicity (1280 px and 375 px)', async () => {
  for (const [name, viewport] of [['grants-wide', WIDE], ['grants-narrow', NARROW]]) {
    await withPage(name, async (page) => {
      await signIn(page, DEMO.enterprise);
      // The home lists the grants with their states, each linked to its card.
      const home = page.locator('#home-grants');
      await home.waitFor();
      const paidLine = home.locator('li', { hasText: '发明专利授权奖励' }).first();
      assert.equal(await paidLine.locator('.grant-state').innerText(), '已拨付');
      assert.match(await paidLine.locator('.paid-date').innerText(), /^2022-12-16$/);
      assert.equal(await home.locator('li', { hasText: '专精特新' }).first().locator('.grant-state').innerText(), '公示中');
      await visit(page, '/grants/mine', { step: 'mine' });
      const paid = await card(page, '发明专利授权奖励');
      assert.equal(await paid.locator('.grant-state').innerText(), '已拨付');
      assert.match(await paid.locator('.paid-date').innerText(), /^2022-12-16$/);
      assert.match(await paid.locator('.voucher').innerText(), /^DEMO-PZ-\d+$/);
      const open = await card(page, '专精特新');
      assert.equal(await open.locator('.grant-state').innerText(), '公示中');
      // The basis reads in Chinese: the facts used.
      await open.locator('details.basis summary').click();
      assert.match(await open.locator('details.basis').innerText(), /[\u4e00-\u9fff]/);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= viewport.width + 1, `no sideways scrolling at ${viewport.width}px: ${width}`);
      await page.shot('basis');
    }, { viewport });
  }
});

test('officials take the run from publicity to paid on the pages; the enterprise sees it paid', async () => {
  const run = await publicityRun();
  // The leader approves on the run page (the demo server runs on today's date: publicity is over).
  await withPage('grants-officer', async (page) => {
    await signIn(page, DEMO.leader);
    await visit(page, '/grants', { step: 'runs' });
    await visit(page, `/grants/runs/${run.id}`, { step: 'run-before' });
    assert.match(await page.locator('#run-state').innerText(), /公示/);
    await Promise.all([page.waitForURL(new RegExp(`/grants/runs/${run.id}$`)), page.locator('#approve').click()]);
    // Either the round still waits for further approvers (lingdao is listed) or it was
    // complete with this one (the grants are approved).
    const approvals = await page.locator('#run-approvals').innerText();
    const state = await page.locator('#run-state').innerText();
    assert.ok(/lingdao/.test(approvals) || /已审批/.test(state), `${approvals} / ${state}`);
    await page.shot('approved-by-leader');
  }, { viewport: WIDE });
  // Further approvers, as many as the run's total needs, through the API.
  const view = await apiGet(`/api/v1/grants/runs/${run.id}`, await apiToken(DEMO.policy));
  for (const name of ['leader01', 'leader02', 'leader03'].slice(0, view.approvals_required - 1)) {
    await apiPost(`/api/v1/grants/runs/${run.id}/approve`, await apiToken({ username: name, password: `${name}-demo` }));
  }
  // The finance officer issues the file on the page, then uploads the bank's results.
  await withPage('grants-finance', async (page) => {
    await signIn(page, FINANCE);
    await visit(page, `/grants/runs/${run.id}`, { step: 'run-approved' });
    assert.match(await page.locator('#run-state').innerText(), /已审批/);
    await page.selectOption('#format', 'csv');
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#issue-file').click()]);
    const lines = (await (await download.createReadStream()).toArray()).join('').trim().split('\n');
    assert.ok(lines.length >= 3, 'a header, lines and the control row');
    assert.match(lines[lines.length - 1], /CONTROL/);
    const rows = lines.slice(1, -1).map((l) => l.split(','));
    const csv = ['grant,date,voucher,amount,status,reason']
      .concat(rows.map((r) => `${r[1]},2026-12-01,BR-${r[1]},${r[4]},ok,`))
      .join('\n');
    await visit(page, `/grants/runs/${run.id}`, { step: 'file-issued' });
    await page.setInputFiles('#results-file', { name: 'results.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await Promise.all([page.waitForURL(new RegExp(`/grants/runs/${run.id}`)), page.locator('#import-results').click()]);
    assert.match(await page.locator('#reconciliation').innerText(), /已付且金额一致 \d+/);
    assert.match(await page.locator('#run-state').innerText(), /已拨付/);
    await page.shot('paid-reconciled');
  }, { viewport: WIDE });
  // The officer's run page on a phone.
  await withPage('grants-officer-narrow', async (page) => {
    await signIn(page, DEMO.policy);
    await visit(page, `/grants/runs/${run.id}`, { step: 'run-narrow' });
    assert.ok(await page.locator('#grant-list tbody tr').count() > 0);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= NARROW.width + 1, `the page itself does not scroll sideways: ${width}`);
  }, { viewport: NARROW });
  // The enterprise sees the grant paid, with date and voucher.
  await withPage('grants-paid', async (page) => {
    await signIn(page, DEMO.enterprise);
    await visit(page, '/grants/mine', { step: 'mine-paid' });
    const c = await card(page, '专精特新');
    assert.equal(await c.locator('.grant-state').innerText(), '已拨付');
    assert.equal(await c.locator('.paid-date').innerText(), '2026-12-01');
    assert.match(await c.locator('.voucher').innerText(), /^BR-\d+$/);
  }, { viewport: NARROW });
});

test('eligible but not claimed, per item and department', () =>
  withPage('unclaimed', async (page) => {
    await signIn(page, DEMO.policy);
    await visit(page, '/grants/unclaimed', { step: 'unclaimed' });
    assert.ok(await page.locator('#unclaimed-items tbody tr').count() > 0);
    assert.ok(await page.locator('#unclaimed-departments tbody tr').count() > 0);
    assert.match(await page.locator('#method').innerText(), /没有数据/);
  }, { viewport: WIDE }));
