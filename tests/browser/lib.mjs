// Shared helpers of the browser suite: launch Debian's Chromium through playwright-core,
// sign in as a demo user, take a screenshot of every page visited.
//
// The server is started by run.sh over a freshly generated demo zone; its address comes in
// HUIQI_URL. A test file imports what it needs:
//
//   import { test } from 'node:test';
//   import { withPage, signIn, visit, DEMO } from './lib.mjs';
//   test('…', () => withPage('name', async (page) => { await signIn(page, DEMO.enterprise); … }));
//
// Screenshots go to tests/browser/artifacts/<test name>/<nn>-<step>.png (gitignored).

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import assert from 'node:assert/strict';

export const BASE = process.env.HUIQI_URL ?? 'http://127.0.0.1:18080';
export const ARTIFACTS = process.env.HUIQI_ARTIFACTS ?? new URL('./artifacts/', import.meta.url).pathname;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** The demo logins `huiqi demo` creates (password: `<username>-demo-2022`), by role. */
const login = (username) => ({ username, password: `${username}-demo-2022` });
export const DEMO = {
  enterprise: login('qiye'),
  cadre: login('ganbu'),
  department: login('jingfa'),
  tax: login('shuiwu'),
  leader: login('lingdao'),
  supervisor: login('ducha'),
  policy: login('zhengce'),
  admin: login('admin'),
  bank: login('yinhang'),
  financeOfficer: login('kejin'),
};

let browserPromise = null;

/** One Chromium for the whole test file (closed by `closeBrowser`, registered in `after`). */
export function browser() {
  browserPromise ??= chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  return browserPromise;
}

export async function closeBrowser() {
  if (browserPromise) {
    const b = await browserPromise;
    browserPromise = null;
    await b.close();
  }
}

/**
 * Runs `fn(page)` in a fresh browser context (own cookies) laid out like a phone unless
 * `viewport` says otherwise; screenshots are kept under artifacts/<name>/.
 */
export async function withPage(name, fn, { viewport = { width: 390, height: 844 } } = {}) {
  const b = await browser();
  const context = await b.newContext({ locale: 'zh-CN', viewport, baseURL: BASE });
  const page = await context.newPage();
  const dir = `${ARTIFACTS}/${name}`;
  mkdirSync(dir, { recursive: true });
  let n = 0;
  page.shot = async (step) => {
    n += 1;
    await page.screenshot({ path: `${dir}/${String(n).padStart(2, '0')}-${step}.png`, fullPage: true });
  };
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    await fn(page);
    assert.deepEqual(errors, [], 'no script errors on any page');
  } catch (e) {
    await page.shot('failure').catch(() => {});
    throw e;
  } finally {
    await context.close();
  }
}

/** Opens `path`, checks the status, takes a screenshot, and returns the response. */
export async function visit(page, path, { status = 200, step } = {}) {
  const resp = await page.goto(path);
  assert.equal(resp.status(), status, `GET ${path}`);
  await page.shot(step ?? (path.replace(/[^a-zA-Z0-9]+/g, '_').replace(/^_|_$/g, '') || 'home'));
  return resp;
}

/** Signs in through the sign-in page and lands on the home page (any page for `next`). */
export async function signIn(page, { username, password }, { next = '/' } = {}) {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.getByRole('button', { name: '登录' }).click()]);
  await page.shot(`signed-in-${username}`);
}

/** Signs out with the header's button. */
export async function signOut(page) {
  await Promise.all([page.waitForURL(/\/login/), page.getByRole('button', { name: '退出' }).click()]);
}

/** The visible text of the main region. */
export async function mainText(page) {
  return page.locator('main').innerText();
}

/** Asserts the page is in Simplified Chinese and has a heading. */
export async function assertChinese(page) {
  assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
  const h1 = await page.locator('main h1').innerText();
  assert.match(h1, /[\u4e00-\u9fff]/, `heading in Chinese: ${h1}`);
}

/** A bearer token for a demo login (API calls from tests, e.g. to find test data). */
export async function apiToken({ username, password }) {
  const r = await fetch(`${BASE}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  assert.equal(r.status, 200, `token for ${username}`);
  return (await r.json()).token;
}

/** GET an API path with a token; returns the parsed JSON (asserts 200). */
export async function apiGet(path, token) {
  const r = await fetch(`${BASE}${path}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200, `GET ${path}: ${await r.clone().text()}`);
  return r.json();
}

/** Elements sticking out of the viewport on the right, outside any scroll wrapper. */
export async function overflow(page) {
  return page.evaluate(() => {
    const w = window.innerWidth;
    const out = [];
    if (document.documentElement.scrollWidth > w) out.push(`document ${document.documentElement.scrollWidth} > ${w}`);
    for (const el of document.querySelectorAll('body *')) {
      if (el.closest('.table-wrap, .scroll, pre, svg')) continue;
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > w + 1) out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : ''} right=${Math.round(r.right)}`);
    }
    return out.slice(0, 10);
  });
}
