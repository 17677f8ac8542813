// The enterprise's inbox after the demo zone's match run (issue 12, push): the unread count
// beside its name, a newly eligible item and an almost-eligible one naming the condition it
// misses, each linking to the item; marking all read empties the count.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, signIn, visit, closeBrowser, DEMO } from './lib.mjs';

after(closeBrowser);

test('an enterprise sees a newly eligible and an almost-eligible item in its inbox', () =>
  withPage('inbox-1', async (page) => {
    await signIn(page, DEMO.enterprise);
    await visit(page, '/inbox', { step: 'inbox' });
    const unread = Number(await page.locator('#inbox-unread-count').innerText());
    assert.ok(unread >= 2, `unread ${unread}`);
    const newly = page.locator('#inbox li.newly').first();
    const almost = page.locator('#inbox li.almost').first();
    assert.match(await newly.locator('.kind').innerText(), /新符合/);
    assert.match(await almost.locator('.kind').innerText(), /差一项/);
    // The almost-eligible message names what is missing, in Chinese.
    assert.match(await almost.locator('.body').innerText(), /[\u4e00-\u9fff]/);
    assert.match(await newly.locator('a.item').getAttribute('href'), /^\/items\//);
    await page.shot('messages');
    await Promise.all([page.waitForURL(/\/inbox$/), page.locator('#mark-all-read').click()]);
    assert.equal(await page.locator('#inbox-unread-count').innerText(), '0');
    await page.shot('all-read');
  }));
