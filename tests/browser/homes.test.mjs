// Each role's home page (issue 14) at 1280 px and at 375 px: it shows that role's work, and
// at 375 px nothing overflows the page sideways (wide tables scroll inside their wrapper).
// Screenshots of every step are kept under artifacts/homes-*/; with HUIQI_DOC_SHOTS=1 the
// 1280 px view of each home is also written to docs/img/home-<role>.png for docs/用户指南.md.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { withPage, signIn, closeBrowser, overflow, DEMO } from './lib.mjs';

after(closeBrowser);

const DOCS_IMG = new URL('../../docs/img/', import.meta.url).pathname;
const WIDE = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 812 };

/** What each role's home must show (selectors that must match at least `n` elements). */
const HOMES = {
  enterprise: { must: [['#profile', 1], ['#matches', 1], ['#home-inbox li.message', 1], ['#home-problems', 1], ['a[href="/inbox"]', 1]] },
  cadre: { must: [['#home-due', 1], ['#home-problems', 1], ['#home-enterprises li a[href^="/enterprises/"]', 1]] },
  department: { must: [['table.problems tbody a[href^="/problems/"]', 1], ['form[action="/problems"] input[name="q"]', 1], ['#f-open', 1]] },
  leader: { must: [['svg.chart', 4], ['#home-common', 1]] },
  supervisor: { must: [['svg.chart', 4], ['#home-common', 1]] },
  admin: { must: [['#admin-entries li', 9], ['a[href="/admin/users"]', 1], ['a[href="/admin/settings"]', 1]] },
  policy: { must: [['main table tbody a[href^="/enterprises/"]', 1]] },
};

for (const [role, { must }] of Object.entries(HOMES)) {
  for (const [label, viewport] of [['1280', WIDE], ['375', PHONE]]) {
    test(`${role}'s home at ${label} px shows its work and fits`, () =>
      withPage(`homes-${role}-${label}`, async (page) => {
        await signIn(page, DEMO[role]);
        assert.equal(new URL(page.url()).pathname, '/', 'lands on the home');
        assert.equal(await page.locator('nav a[aria-current="page"]').first().getAttribute('href'), '/');
        for (const [sel, n] of must) {
          const c = await page.locator(sel).count();
          assert.ok(c >= n, `${role}: ${sel} matches ${c}, want at least ${n}`);
        }
        await page.shot('home');
        if (viewport === PHONE) {
          assert.deepEqual(await overflow(page), [], `${role}: nothing wider than ${PHONE.width} px`);
        } else if (process.env.HUIQI_DOC_SHOTS) {
          mkdirSync(DOCS_IMG, { recursive: true });
          await page.screenshot({ path: `${DOCS_IMG}home-${role}.png`, fullPage: false });
        }
      }, { viewport }));
  }
}
