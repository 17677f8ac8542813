// Every page of every role's navigation at 375 px (issue 14, phone): no element outside a
// scroll wrapper reaches past the viewport, so nothing needs sideways scrolling of the whole
// page. One test per role, listing every page that overflows.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, signIn, closeBrowser, overflow, DEMO } from './lib.mjs';

after(closeBrowser);

for (const role of ['enterprise', 'cadre', 'department', 'leader', 'supervisor', 'policy', 'admin']) {
  test(`every page of ${role}'s navigation fits 375 px`, () =>
    withPage(`phone-${role}`, async (page) => {
      await signIn(page, DEMO[role]);
      const hrefs = await page.locator('header nav a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      assert.ok(hrefs.length > 2, `${role} has a navigation`);
      const bad = [];
      for (const href of hrefs) {
        const resp = await page.goto(href);
        assert.ok(resp.status() < 400, `${role} GET ${href}: ${resp.status()}`);
        await page.shot(href.replace(/[^a-zA-Z0-9]+/g, '_').replace(/^_|_$/g, '') || 'home');
        const o = await overflow(page);
        if (o.length) bad.push(`${href}: ${o.join('; ')}`);
      }
      assert.deepEqual(bad, [], `${role}: pages wider than 375 px`);
    }, { viewport: { width: 375, height: 812 } }));
}
