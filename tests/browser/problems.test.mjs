// The three lists in the browser: an enterprise raises a problem, the tax bureau accepts,
// assigns, handles and answers it, the enterprise rates it 满意, the bureau closes it (销号),
// and it shows in the supervisor's dashboard and in the ledger workbook the leader downloads;
// the leader takes a hotline problem in for an enterprise from the page (代录).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { inflateRawSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { withPage, signIn, visit, mainText, assertChinese, closeBrowser, DEMO } from './lib.mjs';

after(closeBrowser);

/** Every entry of a zip archive (an .xlsx) inflated to text, read from the central directory. */
function zipTexts(buf) {
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd -= 1;
  assert.ok(eocd >= 0, 'a zip archive');
  const entries = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out = {};
  for (let i = 0; i < entries; i += 1) {
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, start + size);
    out[name] = (method === 8 ? inflateRawSync(data) : data).toString('utf8');
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

const PDF = Buffer.from('%PDF-1.7\n% huiqi browser test\n%%EOF\n');
const TITLE = `留抵退税到账查询（浏览器测试 ${Date.now()}）`;
let problemPath = null;

test('the enterprise raises a problem and sees it with its deadlines', () =>
  withPage('problem-1-raise', async (page) => {
    await signIn(page, DEMO.enterprise);
    await visit(page, '/problems', { step: 'my-problems' });
    await assertChinese(page);
    await page.getByRole('link', { name: '反映问题' }).click();
    await page.waitForURL(/\/problems\/new/);
    await page.shot('new-form');
    await page.getByLabel('问题类别').selectOption({ label: '涉税' });
    await page.getByLabel('问题标题').fill(TITLE);
    await page.getByLabel('问题描述').fill('三月申请的增值税留抵退税尚未到账，请帮助查询进度。');
    await page.getByLabel('附件').setInputFiles({ name: '退税申请表.pdf', mimeType: 'application/pdf', buffer: PDF });
    await Promise.all([
      page.waitForURL(/\/problems\/\d+$/),
      page.getByRole('button', { name: '提交问题' }).click(),
    ]);
    problemPath = new URL(page.url()).pathname;
    await page.shot('raised');
    const text = await mainText(page);
    assert.match(text, new RegExp(TITLE.replace(/[()（）]/g, '.')));
    assert.match(text, /待受理|已提交/);
    assert.match(text, /受理时限/);
    assert.match(text, /税务局/);
    // The file raised with it is listed (name, size, who) and downloads byte for byte.
    const files = page.locator('table.attachments');
    // Who uploaded it, by display name (never the login name on a Chinese page).
    assert.match(await files.innerText(), /退税申请表\.pdf[\s\S]*B[\s\S]*企业用户/);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: '退税申请表.pdf' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), '退税申请表.pdf');
    assert.deepEqual(readFileSync(await download.path()), PDF);
  }));

test('the tax bureau finds it in its queue, accepts, assigns, starts and answers it', () =>
  withPage('problem-2-department', async (page) => {
    assert.ok(problemPath, 'raised by the previous test');
    await signIn(page, DEMO.tax);
    await visit(page, '/problems', { step: 'queue' });
    assert.match(await page.locator('main h1').innerText(), /待办队列/);
    assert.match(await mainText(page), /正常|黄灯|红灯/, 'warning lights as text');
    await visit(page, problemPath, { step: 'problem' });
    for (const [button, state] of [['受理', '已受理'], ['派单', '已派单'], ['开始办理', '办理中']]) {
      await Promise.all([page.waitForURL(/done=1/), page.getByRole('button', { name: button, exact: true }).click()]);
      await page.shot(`after-${button}`);
      assert.match(await mainText(page), new RegExp(state), `${button} → ${state}`);
    }
    await page.getByLabel('答复结果').selectOption('resolved');
    await page.getByLabel('答复内容').fill('经核实，退税款已于今日退付至企业账户。');
    await Promise.all([page.waitForURL(/done=1/), page.getByRole('button', { name: '答复', exact: true }).click()]);
    await page.shot('answered');
    const text = await mainText(page);
    assert.match(text, /已答复/);
    assert.match(text, /已解决/);
  }));

test('the enterprise rates the answer 满意 and the bureau closes it', async () => {
  await withPage('problem-3-rate', async (page) => {
    await signIn(page, DEMO.enterprise);
    await visit(page, problemPath, { step: 'answered' });
    assert.match(await mainText(page), /退税款已于今日退付/);
    // The enterprise's own answer (解决率 counts it) is asked first, then the rating.
    await page.getByLabel('已解决', { exact: true }).check();
    await page.getByLabel('满意', { exact: true }).check();
    // The confirmation asks whether the problem was solved (a required choice).
    await page.getByLabel('已解决', { exact: true }).check();
    await Promise.all([page.waitForURL(/done=1/), page.getByRole('button', { name: '确认评价' }).click()]);
    await page.shot('rated');
    assert.match(await mainText(page), /满意/);
  });
  await withPage('problem-4-close', async (page) => {
    await signIn(page, DEMO.tax);
    await visit(page, problemPath, { step: 'confirmed' });
    await Promise.all([page.waitForURL(/done=1/), page.getByRole('button', { name: '销号', exact: true }).click()]);
    await page.shot('closed');
    const text = await mainText(page);
    assert.match(text, /已销号/);
    assert.match(text, /企业确认销号/);
    // The timeline lists every step.
    for (const step of ['提交', '受理', '派单', '开始办理', '答复', '确认评价', '销号']) {
      assert.match(text, new RegExp(step));
    }
  });
});

test('the closed problem shows in the supervisor dashboard and the ledger download', async () => {
  await withPage('problem-5-dashboard', async (page) => {
    await signIn(page, DEMO.supervisor);
    await visit(page, '/dashboard', { step: 'dashboard' });
    assert.equal(await page.locator('main svg[role="img"]').count() >= 4, true, 'charts drawn');
    const text = await mainText(page);
    assert.match(text, /部门指标/);
    assert.match(text, /税务局/);
    const closedLink = page.locator('a[href="/problems?state=closed"]').first();
    assert.equal(await closedLink.count(), 1, 'the dashboard links the closed problems');
    await visit(page, '/problems?state=closed&category=tax&per_page=200', { step: 'closed-list' });
    assert.ok((await mainText(page)).includes(TITLE), 'the closed list has it');
    await visit(page, '/reports/supervision', { step: 'supervision-report' });
    assert.match(await mainText(page), /督查通报|通报部门/);
    await page.emulateMedia({ media: 'print' });
    await page.shot('supervision-report-print');
  }, { viewport: { width: 1280, height: 900 } });
  await withPage('problem-6-ledger', async (page) => {
    await signIn(page, DEMO.leader);
    await visit(page, '/dashboard', { step: 'leader-dashboard' });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: '下载问题台账（Excel）' }).first().click(),
    ]);
    assert.match(download.suggestedFilename(), /^ledger-\d{4}-\d{2}-\d{2}\.xlsx$/);
    const path = await download.path();
    const { readFileSync } = await import('node:fs');
    const texts = zipTexts(readFileSync(path));
    const all = Object.values(texts).join('\n');
    for (const sheet of ['问题清单', '责任清单', '销号清单']) assert.ok(all.includes(sheet), sheet);
    assert.ok(all.includes(TITLE), 'the ledger lists the problem');
    assert.ok(all.includes('企业确认'), 'closed on the enterprise confirmation');
  });
});

test('the leader takes a hotline problem in for an enterprise from the page (代录)', () =>
  withPage('problem-7-intake', async (page) => {
    assert.ok(problemPath, 'raised by the first test');
    await signIn(page, DEMO.leader);
    await visit(page, problemPath, { step: 'an-enterprise' });
    const code = (await page.locator('main dl.facts .mono').first().innerText()).trim();
    await visit(page, '/problems', { step: 'list' });
    await page.getByRole('link', { name: '反映问题' }).click();
    await page.waitForURL(/\/problems\/new/);
    await page.shot('intake-form');
    await assertChinese(page);
    await page.getByLabel('企业统一社会信用代码').fill(code);
    await page.getByLabel('来源渠道').selectOption({ label: '热线' });
    await page.getByLabel('问题类别').selectOption({ label: '涉税' });
    const title = `热线代录：发票领用受限（浏览器测试 ${Date.now()}）`;
    await page.getByLabel('问题标题').fill(title);
    await Promise.all([
      page.waitForURL(/\/problems\/\d+$/),
      page.getByRole('button', { name: '提交问题' }).click(),
    ]);
    await page.shot('taken-in');
    const text = await mainText(page);
    assert.match(text, /热线/);
    assert.ok(text.includes(code), 'for the enterprise typed');
    assert.ok(text.includes('发票领用受限'));
  }));
