// Legal consultations on the pages (三.14 应急法律服务, issue 15): the enterprise asks a question
// online from /legal; the lawyer (王律师, the demo login lvshi of 社会治安综合治理局) finds it in
// the queue with the time left, answers it on its page and turns the answer into an FAQ (the
// proposed question without the enterprise's name, saved as a draft for the content review);
// the enterprise then sees the answer, the FAQ's link and only the confirm and follow-up
// forms. Pages at 1280 px (the enterprise's also at 375 px), screenshots kept.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, signIn, visit, closeBrowser, DEMO } from './lib.mjs';

after(closeBrowser);

const WIDE = { width: 1280, height: 900 };
const NARROW = { width: 375, height: 812 };
const LAWYER = { username: 'lvshi', password: 'lvshi-demo-2022' };
const TAG = `${Date.now() % 100000}`;
const QUESTION = `疫情期间仓库被临时封控，货物无法按期交付，客户能否解除合同？（${TAG}）`;
const ANSWER = '封控构成不可抗力的，可部分或全部免除责任；但应及时通知客户并提供证明，客户仅在合同目的不能实现时才可解除。';

async function noSidewaysScroll(page, viewport) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= viewport.width + 1, `no sideways scrolling at ${viewport.width}px: ${width}`);
}

test('an enterprise asks online, the lawyer answers and makes an FAQ, the enterprise sees the answer', async () => {
  let path = null;
  await withPage('legal-enterprise-asks', async (page) => {
    await signIn(page, DEMO.enterprise);
    await visit(page, '/legal', { step: 'list' });
    await noSidewaysScroll(page, WIDE);
    const form = page.locator('#ask-form');
    await form.locator('select[name=topic]').selectOption('contract');
    await form.locator('textarea[name=question]').fill(QUESTION);
    await Promise.all([page.waitForURL(/\/legal\/\d+$/), page.locator('#ask-submit').click()]);
    path = new URL(page.url()).pathname;
    assert.equal(await page.locator('#consultation-state').innerText(), '待答复');
    assert.match(await page.locator('#question').innerText(), new RegExp(TAG));
    assert.equal(await page.locator('#withdraw-form').count(), 1, 'an open question may be withdrawn');
    assert.equal(await page.locator('#answer-form').count(), 0, 'an enterprise does not answer');
    await page.shot('asked');
  }, { viewport: WIDE });

  await withPage('legal-lawyer-answers', async (page) => {
    await signIn(page, LAWYER);
    await visit(page, '/legal', { step: 'queue' });
    const row = page.locator(`#consultation-${path.split('/').pop()}`);
    assert.match(await row.innerText(), /还剩/);
    assert.match(await row.innerText(), /待答复/);
    await visit(page, path, { step: 'consultation' });
    await page.locator('#answer-text').fill(ANSWER);
    await Promise.all([page.waitForURL(new RegExp(`${path}$`)), page.locator('#answer-submit').click()]);
    assert.equal(await page.locator('#consultation-state').innerText(), '已答复');
    assert.match(await page.locator('#answer').innerText(), /不可抗力/);
    // 转为常见问题: proposed without the enterprise's name, then saved as a draft.
    const title = await page.locator('#faq-title').inputValue();
    assert.match(title, new RegExp(TAG));
    await page.locator('#faq-title').fill(`疫情封控导致无法按期交货，客户能否解除合同？（${TAG}）`);
    await page.shot('faq-form');
    await Promise.all([page.waitForURL(/\/content\/\d+$/), page.locator('#faq-submit').click()]);
    assert.match(await page.locator('body').innerText(), /常见问题/);
    await page.shot('faq-draft');
    await visit(page, path, { step: 'after-faq' });
    assert.match(await page.locator('#faq-link').innerText(), /疫情封控导致无法按期交货/);
    assert.equal(await page.locator('#faq-form').count(), 0, 'one FAQ per consultation');
  }, { viewport: WIDE });

  for (const [name, viewport] of [['legal-enterprise-sees-wide', WIDE], ['legal-enterprise-sees-narrow', NARROW]]) {
    await withPage(name, async (page) => {
      await signIn(page, DEMO.enterprise);
      await visit(page, path, { step: 'answered' });
      assert.equal(await page.locator('#consultation-state').innerText(), '已答复');
      assert.match(await page.locator('#answer').innerText(), /不可抗力/);
      assert.equal(await page.locator('#faq-link').count(), 1);
      assert.equal(await page.locator('#confirm-form').count(), 1);
      assert.equal(await page.locator('#follow-up-form').count(), 1);
      assert.equal(await page.locator('#withdraw-form').count(), 0, 'an answered question is not withdrawn');
      await noSidewaysScroll(page, viewport);
      await page.shot('answer');
    }, { viewport });
  }
});
