// Editing a policy file in the database: the policy officer opens a document from the
// library, saves a text with a misspelt fact (refused, the problem shown with its line and
// column, nothing saved), then a corrected text: a draft with its review page (the diff, the
// simulation, or why there is none), not live; the officer may not approve it; the admin
// (a second person) approves it, and it is the next version, in the history, in use at once.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, signIn, signOut, visit, mainText, assertChinese, closeBrowser, DEMO } from './lib.mjs';

after(closeBrowser);

const DOC = 'zone-sample-2022.toml';

test('the policy officer edits a policy file: errors are shown and nothing is saved, then a fix is in use', () =>
  withPage('policy-edit', async (page) => {
    await signIn(page, DEMO.policy);
    await visit(page, '/policies/zone-sample-2022', { step: 'document' });
    await page.getByRole('link', { name: `编辑文件 ${DOC}` }).click();
    await page.waitForURL(new RegExp(`/policies/documents/${DOC}/edit`));
    await assertChinese(page);
    await page.shot('editor');
    const before = Number(await page.locator('#current-version').innerText());
    const box = page.getByLabel('政策文件内容（TOML）');
    const text = await box.inputValue();
    assert.match(text, /hitech_first_recognized_on/);
    // A misspelt fact: refused with its line and column; the typed text stays in the box.
    const bad = text.replace('year_of(hitech_first_recognized_on)', 'year_of(hitech_first_recognised_on)');
    await box.fill(bad);
    await page.getByRole('button', { name: '保存' }).click();
    await page.locator('#problems').waitFor();
    await page.shot('refused');
    assert.match(await page.getByRole('alert').innerText(), /未保存/);
    const row = await page.locator('#problems tbody tr').first().innerText();
    assert.match(row, /hitech_first_recognized_on/, 'the message suggests the right name');
    const lineNo = Number(await page.locator('#problems tbody tr td').first().innerText());
    assert.ok(bad.split('\n')[lineNo - 1].includes('hitech_first_recognised_on'), `line ${lineNo}`);
    assert.equal(Number(await page.locator('#current-version').innerText()), before, 'nothing saved');
    assert.equal(await box.inputValue(), bad);
    // The fix: a new title. Saved as a draft: its review page shows the diff; nothing is live yet.
    const fixed = text.replace('title = "【示例】园区', 'title = "【示例·修订】园区');
    await box.fill(fixed);
    await Promise.all([page.waitForURL(/\/policies\/drafts\/\d+\?done=saved/), page.getByRole('button', { name: '保存' }).click()]);
    await page.shot('draft');
    await assertChinese(page);
    const draftUrl = new URL(page.url()).pathname;
    assert.match(await page.locator('p.ok[role=status]').innerText(), /已存为草案/);
    assert.match(await page.locator('#draft-state').innerText(), /待审核/);
    assert.match(await page.locator('tr.diff-add').first().innerText(), /【示例·修订】园区/);
    assert.match(await page.locator('tr.diff-del').first().innerText(), /【示例】园区/);
    assert.equal(await page.locator('#approve').count(), 0, 'the author has no approve button');
    // The demo zone has a match run: the review simulates the change on it (a title changes
    // no one's decision).
    assert.equal(await page.locator('#no-match-run').count(), 0);
    assert.match(await page.locator('#sim-summary').innerText(), /批次/);
    await visit(page, '/policies/zone-sample-2022', { step: 'not-live-yet' });
    assert.doesNotMatch(await mainText(page), /【示例·修订】园区/);
    assert.match(await mainText(page), /待审核的政策草案：1 份/);
    // A second person (the admin) reviews and approves: live, the next version.
    await signOut(page);
    await signIn(page, DEMO.admin, { next: draftUrl });
    await visit(page, draftUrl, { step: 'review-as-admin' });
    await Promise.all([page.waitForURL(/done=approved/), page.locator('#approve').click()]);
    await page.shot('approved');
    assert.match(await page.locator('p.ok[role=status]').innerText(), /已批准/);
    assert.match(await page.locator('#draft-state').innerText(), /已批准/);
    await visit(page, `/policies/documents/${DOC}/edit`, { step: 'history' });
    assert.equal(Number(await page.locator('#current-version').innerText()), before + 1);
    const history = await page.locator('#history tbody tr').count();
    assert.equal(history, before + 1);
    assert.match(await page.locator('#history tbody tr').first().innerText(), /zhengce|政策/);
    await visit(page, '/policies/zone-sample-2022', { step: 'document-after' });
    assert.match(await mainText(page), /【示例·修订】园区/);
  }));
