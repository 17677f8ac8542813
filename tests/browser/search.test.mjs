// Policy consultation in the browser: typing a problem shows a suggestion (and "this solved
// it" is recorded); the search box in the header finds a service guide; a document number
// finds its document first.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, signIn, visit, mainText, closeBrowser, DEMO } from './lib.mjs';

after(closeBrowser);

test('typing a problem shows suggestions, and one solves it', () =>
  withPage('search-1-suggest', async (page) => {
    await signIn(page, DEMO.enterprise);
    await visit(page, '/problems/new', { step: 'new-form' });
    await page.getByLabel('问题标题').pressSequentially('留抵退税需要什么材料', { delay: 30 });
    const panel = page.locator('#suggestions');
    await panel.waitFor({ state: 'visible', timeout: 10_000 });
    await page.shot('suggestions');
    const first = panel.locator('li.suggestion').first();
    assert.match(await first.innerText(), /留抵/);
    // Keyboard: the suggestion's link and its button are reachable with Tab.
    await first.getByRole('link').focus();
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement && document.activeElement.textContent);
    assert.equal(focused, '这解决了我的问题');
    await page.keyboard.press('Enter');
    await first.getByRole('status').waitFor({ timeout: 10_000 });
    await page.shot('solved');
  }));

test('the search box in the header finds a service guide', () =>
  withPage('search-2-box', async (page) => {
    await signIn(page, DEMO.enterprise);
    await visit(page, '/', { step: 'home' });
    const box = page.getByRole('searchbox', { name: '搜索政策、解读、问答、指南' });
    await box.fill('留抵退税办事指南');
    await Promise.all([page.waitForURL(/\/search\?q=/), box.press('Enter')]);
    await page.shot('results');
    const first = page.locator('li.result').first();
    assert.equal(await first.getAttribute('data-kind'), 'guide');
    await Promise.all([page.waitForURL(/\/content\/\d+$/), first.getByRole('link').click()]);
    await page.shot('guide');
    const text = await mainText(page);
    assert.match(text, /办理地点/);
    assert.match(text, /12366/);
  }));

test('a document number finds its document first', () =>
  withPage('search-3-docno', async (page) => {
    await signIn(page, DEMO.enterprise);
    await visit(page, '/search?q=' + encodeURIComponent('2022年14号'), { step: 'docno' });
    const first = page.locator('li.result').first();
    assert.equal(await first.getAttribute('data-kind'), 'policy');
    assert.match(await first.innerText(), /留抵退税/);
  }));
