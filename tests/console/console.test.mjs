// zhitong — the web console in a real browser (issue 12 "Proof"): Debian's
// headless Chromium driven by playwright-core (executablePath: no browser
// download), against `zhitong serve` started here on a free loopback port
// over a fresh database with the demo's data. CTest runs it
// (test_console_browser); tools/dev installs playwright-core under the
// build tree. Screenshots of every page go to ZT_CONSOLE_ARTIFACTS
// (README "控制台 / Console" lists them).
//
//   node console.test.mjs        (environment: see `need` below)
//
// Exit 0: every check passed; 1: a check failed; 77: playwright-core or
// Chromium is missing (CTest's skip), unless ZT_REQUIRE_BROWSER=1.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';

const need = (k) => {
  if (!process.env[k]) { console.error(`console.test: ${k} is not set`); process.exit(2); }
  return process.env[k];
};
const ZHITONG = need('ZT_ZHITONG');
const MODULES = need('ZT_CONSOLE_NODE_MODULES');
const ARTIFACTS = need('ZT_CONSOLE_ARTIFACTS');
const CHROMIUM = process.env.ZT_CHROMIUM || '/usr/bin/chromium';

function skip(why) {
  if (process.env.ZT_REQUIRE_BROWSER === '1') { console.error('console.test: ' + why); process.exit(1); }
  console.error('console.test: skipped: ' + why);
  process.exit(77);
}
let chromium;
try {
  ({ chromium } = createRequire(path.join(MODULES, 'x.js'))('playwright-core'));
} catch (e) {
  skip(`playwright-core is not installed under ${MODULES} (tools/dev test installs it)`);
}
if (!fs.existsSync(CHROMIUM)) skip(`no Chromium at ${CHROMIUM} (tools/dev installs Debian's chromium)`);

fs.mkdirSync(ARTIFACTS, { recursive: true });
for (const f of fs.readdirSync(ARTIFACTS)) fs.rmSync(path.join(ARTIFACTS, f), { force: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zt-console-'));
const db = path.join(tmp, 'console.db');

function z(args, input) {
  const r = spawnSync(ZHITONG, ['--db', db, ...args], { input: input ?? '', encoding: 'utf8', timeout: 600000 });
  if (r.status !== 0) throw new Error(`zhitong ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

// ---- the world: the demo's data, users with passwords, a slip key ----------
z(['demo', '--claims', '200', '--seed', '7']);
const PW = { root: 'root-password-1', desk1: 'desk1-password-1', desk2: 'desk2-password-1', aud: 'auditor-password-1', fin: 'finance-password-1', fund: 'fundadmin-password-1', fund2: 'fundadmin2-password-1' };
// the demo registered demo-admin (its HTTP step's users): it adds the console's admin
z(['user', 'add', 'root', '--role', 'admin', '--by', 'demo-admin']);
z(['user', 'add', 'desk1', '--role', 'desk', '--hospital', 'H51010101', '--by', 'root']);
z(['user', 'add', 'desk2', '--role', 'desk', '--hospital', 'H510122001', '--by', 'root']);
z(['user', 'add', 'aud', '--role', 'auditor', '--by', 'root']);
z(['user', 'add', 'fin', '--role', 'finance', '--by', 'root']);
z(['user', 'add', 'fund', '--role', 'fund-admin', '--fund', '390100', '--by', 'root']);
z(['user', 'add', 'fund2', '--role', 'fund-admin', '--fund', '390100', '--by', 'root']);
for (const [u, p] of Object.entries(PW)) z(['user', 'password', u, '--by', 'root'], p + '\n');
const key = path.join(tmp, 'slip.key');
fs.writeFileSync(key, Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 255)), { mode: 0o600 });
const conf = path.join(tmp, 'zhitong.conf');
// the pages of every role are walked in a few seconds from one address, far
// faster than a person clicks: the rate limits are raised for the test
fs.writeFileSync(conf, `[slip]\nkey = ${key}\n\n[pool]\nname = 示范县健康扶贫资金专户\naccount = 6222020200000000001\ncurrency = CNY\n\n[service]\nuser-rate-per-s = 1000\nuser-burst = 2000\naddress-rate-per-s = 2000\naddress-burst = 4000\n`);

// ---- the service ------------------------------------------------------------
const server = spawn(ZHITONG, ['--db', db, '--config', conf, 'serve', '--listen', '127.0.0.1:0', '--log', path.join(ARTIFACTS, 'requests.log')],
  { stdio: ['ignore', 'ignore', 'pipe'] });
let serverErr = '';
const port = await new Promise((resolve, reject) => {
  const t = setTimeout(() => reject(new Error('zhitong serve never said where it serves: ' + serverErr)), 60000);
  server.stderr.on('data', (d) => {
    serverErr += d;
    const m = /serving on http:\/\/127\.0\.0\.1:(\d+)/.exec(serverErr);
    if (m) { clearTimeout(t); resolve(Number(m[1])); }
  });
  server.on('exit', (c) => reject(new Error('zhitong serve exited ' + c + ': ' + serverErr)));
});
const base = `http://127.0.0.1:${port}`;

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
const results = [];
const shots = [];
let failed = 0;

async function check(name, fn) {
  const t0 = Date.now();
  try { await fn(); results.push(`ok   ${name} (${Date.now() - t0} ms)`); }
  catch (e) { failed++; results.push(`FAIL ${name}: ${e.stack || e}`); }
}

async function session(role) {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await ctx.newPage();
  page.setDefaultTimeout(60000);
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.errors = errors;
  page.role = role;
  return page;
}

async function login(page, name, password) {
  await page.goto(base + '/console/');
  await page.locator('#login-name').waitFor();
  // keyboard only: type, Tab, type, Enter
  await page.locator('#login-name').focus();
  await page.keyboard.type(name);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
}

async function ready(page) {
  await page.locator('#main[data-ready]').waitFor();
  await page.waitForFunction(() => !document.querySelector('#main .muted') ||
    !/加载中/.test(document.querySelector('#main').textContent));
}

async function go(page, hash) {
  const before = await page.locator('#main').getAttribute('data-ready');
  // a new hash routes by itself; the same one again is routed anew
  await page.evaluate((h) => { if (location.hash === h) route(); else location.hash = h; }, hash);
  await page.waitForFunction((b) => document.querySelector('#main').getAttribute('data-ready') !== b, before);
  await ready(page);
}

async function shot(page, name) {
  await chinese(page, name);
  const file = `${page.role}-${name}.png`;
  await page.screenshot({ path: path.join(ARTIFACTS, file), fullPage: true });
  shots.push(file);
}

const navTitles = (page) => page.locator('#nav-list a').allTextContents();
// every error shown on a page that is not "this endpoint is not there yet"
const hardErrors = (page) => page.locator('#main .message').allTextContents();

// What a page shows in English (review: headings that were raw field names,
// statuses and actions in the service's words). A table heading must carry
// Chinese; a visible text must not be an English word or a machine
// identifier (fixmedins_code, draft, write-off, true) nor hold a field name
// (snake_case) — except what is data: the national names under their Chinese
// headings (small.national), the users' names, codes and ids (digits and
// capitals: H51010101, B390100-000002, K1-…), and what a record holds as it
// was written (.raw: the audit trail's details, a bank's remittance text).
const USERS = ['root', 'desk1', 'desk2', 'aud', 'fin', 'fund', 'fund2'];
async function english(page) {
  return page.evaluate((users) => {
    const cjk = /[\u3400-\u9fff\uff00-\uffef]/;
    const bad = [];
    const shown = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
    const data = (e) => e.closest('small.national, .raw, .code, #who, iframe, th');
    for (const th of document.querySelectorAll('#app th, #login th')) {
      const t = th.textContent.trim();
      if (shown(th) && t && !cjk.test(t)) bad.push('heading: ' + t);
    }
    const roots = [document.querySelector('#main'), document.querySelector('#nav'), document.querySelector('#login')];
    for (const root of roots) {
      if (!root) continue;
      const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      for (let n; (n = w.nextNode());) {
        const t = n.textContent.trim();
        const e = n.parentElement;
        if (!t || !e || !shown(e) || data(e) || users.includes(t)) continue;
        if (/^[a-z][a-z0-9]*(?:[-_ ][a-z0-9]+)*$/.test(t) || /\b[a-z]+_[a-z0-9_]+\b/.test(t) ||
            (!cjk.test(t) && /\b[a-z]{3,}\b/.test(t) && !users.some((u) => t.includes(u))))
          bad.push(`${e.tagName.toLowerCase()}: ${t}`);
      }
      // a file input shows the browser's own button ("Choose File"): only hidden under a label of ours
      for (const x of root.querySelectorAll('input[type=file]'))
        if (x.getBoundingClientRect().width > 2) bad.push('input[type=file]: the browser\'s own "Choose File"');
      for (const x of root.querySelectorAll('input[placeholder], button, [aria-label], option')) {
        if (!shown(x) && x.tagName !== 'OPTION') continue;
        const t = (x.getAttribute('placeholder') || x.getAttribute('aria-label') || x.textContent || '').trim();
        if (t && /\b[a-z]{3,}\b/.test(t) && !cjk.test(t)) bad.push(`${x.tagName.toLowerCase()}: ${t}`);
      }
    }
    return [...new Set(bad)];
  }, USERS);
}
async function chinese(page, what) {
  const bad = await english(page);
  assert.deepEqual(bad, [], `${page.role} ${what}: English on the page`);
}

try {
  // ---- a desk sees its hospital only ----------------------------------------
  await check('desk: logs in with the keyboard and sees only its hospital', async () => {
    const p = await session('desk');
    await login(p, 'desk1', PW.desk1);
    await ready(p);
    assert.match(await p.locator('#who').textContent(), /desk1 · 医院窗口（医院 H51010101）/);
    assert.deepEqual(await navTitles(p), ['今日', '结算查询', '结算单']);
    await go(p, '#today');
    const hosp = await p.locator('#today-hospitals tbody td:first-child').allTextContents();
    assert.ok(hosp.length >= 1, 'today lists its hospital');
    for (const h of hosp) assert.match(h, /^H51010101/);
    assert.match(await p.locator('#today-cards').textContent(), /今日结算\d+ 笔/);
    assert.equal(await p.locator('.chart svg rect').count(), 30, 'a bar a day for 30 days');
    await shot(p, 'today');
    await go(p, '#claims');
    await p.locator('#claims-result table').waitFor();
    await p.locator('#q-hospital').fill('');
    await p.locator('#claims-form button[type=submit]').click();
    await p.waitForFunction(() => document.querySelector('#claims-result table'));
    const codes = await p.locator('#claims-result tbody td:nth-child(3)').allTextContents();
    assert.ok(codes.length >= 1);
    assert.ok(codes.every((c) => c === 'H51010101'), 'only its hospital: ' + [...new Set(codes)]);
    await shot(p, 'claims');
    // another hospital's claim: as if it did not exist
    await p.locator('#q-hospital').fill('H510122001');
    await p.locator('#claims-form button[type=submit]').click();
    await p.waitForFunction(() => /本页 0 条|HTTP 403/.test(document.querySelector('#claims-result').textContent));
    assert.deepEqual(p.errors.filter((e) => !/status of (401|403|404)/.test(e)), []);
    p.desk = true;
    globalThis.deskPage = p;
  });

  await check('desk: a claim with its settlement and each fund\'s trace; reverse with a reason', async () => {
    const p = globalThis.deskPage;
    await go(p, '#claims');
    await p.locator('#claims-result tbody a').first().waitFor();
    // a claim settled once and not reversed: the demo's worked example was reversed and resubmitted
    const links = await p.locator('#claims-result tbody a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    let reversedOne = false;
    for (const href of links) {
      await go(p, href);
      if (await p.locator('.reverse-form').count() === 0) continue;
      assert.ok(await p.locator('.settlement .trace table').count() >= 1, 'a trace per fund');
      assert.match(await p.locator('#main').textContent(), /城乡居民基本医疗保险基金 390100/);
      // the claim's fee lines: Chinese headings over the national names, and
      // they add up to the live settlement's medfee_sumamt
      assert.ok(await p.locator('#claim-items tbody tr').count() >= 1, 'an item line is shown');
      assert.equal(await p.locator('#claim-items th[title=det_item_fee_sumamt]').textContent(), '明细项目费用总额det_item_fee_sumamt');
      assert.ok((await p.locator('#claim-items tbody tr').first().locator('td[data-field=feedetl_sn]').textContent()).length > 0, 'feedetl_sn shown');
      const cents = (t) => Math.round(Number(t.replace(/,/g, '')) * 100);
      const lines = await p.locator('#claim-items td[data-field=det_item_fee_sumamt]').allTextContents();
      const total = await p.locator('.settlement').last().locator('tr', { has: p.locator('th', { hasText: /^医疗费用总额$/ }) }).locator('td').textContent();
      assert.equal(lines.reduce((a, t) => a + cents(t), 0), cents(total), 'the items add up to medfee_sumamt');
      await shot(p, 'claim');
      // without a reason: refused by the page
      await p.locator('.reverse-form button').click();
      assert.match(await p.locator('.reverse-form [role=status]').textContent(), /请填写冲销原因/);
      await p.locator('.reverse-form input').fill('浏览器测试：录入错误');
      const before = await p.locator('.settlement').count();
      await p.locator('.reverse-form button').click();
      await p.waitForFunction((n) => document.querySelectorAll('.settlement').length === n + 1, before);
      await ready(p);
      assert.match(await p.locator('#main').textContent(), /原因浏览器测试：录入错误/);
      assert.match(await p.locator('#main').textContent(), /已冲销/);
      await shot(p, 'claim-reversed');
      reversedOne = true;
      break;
    }
    assert.ok(reversedOne, 'found a live settlement to reverse');
  });

  // ---- a slip printed and its code verified ---------------------------------
  await check('desk: prints a slip and verifies its code', async () => {
    const p = globalThis.deskPage;
    const setl = await p.evaluate(async () =>
      (await (await fetch('/v1/settlements?fixmedins_code=H51010101&limit=1')).json()).settlements[0].setl_id);
    await go(p, '#slips/' + setl);
    const frame = p.frameLocator('#slip-frame');
    await frame.locator('body').waitFor();
    const text = await frame.locator('body').textContent();
    const m = /验证码[：:\s]*(K1(?:-[0-9A-Z]{4}){5})/.exec(text);
    assert.ok(m, 'the slip carries a verification code: ' + text.slice(-300));
    assert.match(text, /住院费用结算单|结算单/);
    await shot(p, 'slip');
    // printing: the console's print styles leave the slip alone
    await p.emulateMedia({ media: 'print' });
    assert.equal(await p.locator('#nav').isVisible(), false, 'no navigation on paper');
    assert.equal(await p.locator('#slip-print').isVisible(), false, 'no buttons on paper');
    await p.screenshot({ path: path.join(ARTIFACTS, 'desk-slip-print.png'), fullPage: true });
    shots.push('desk-slip-print.png');
    await p.emulateMedia({ media: 'screen' });
    // the slip as it prints (the slip's own page, A5)
    const slipPage = await p.context().newPage();
    await slipPage.goto(base + '/v1/settlements/' + setl + '/slip');
    await slipPage.pdf({ path: path.join(ARTIFACTS, 'slip.pdf'), preferCSSPageSize: true });
    await slipPage.close();
    assert.ok(fs.statSync(path.join(ARTIFACTS, 'slip.pdf')).size > 1000);
    // verify the code, then a code with one character changed
    await p.locator('#verify-code').fill(m[1]);
    await p.locator('#verify-code').press('Enter');
    await p.locator('#verify-verdict').waitFor();
    assert.match(await p.locator('#verify-verdict').textContent(), /^真实/);
    assert.match(await p.locator('#verify-result').textContent(), new RegExp(setl));
    await shot(p, 'slip-verified');
    const last = m[1].slice(-1);
    const forged = m[1].slice(0, -1) + (last === 'A' ? 'B' : 'A');
    await p.locator('#verify-code').fill(forged);
    await p.locator('#verify-form button').click();
    await p.waitForFunction(() => /不真实/.test(document.querySelector('#verify-result').textContent));
  });

  await check('desk: logs out; the old session is dead', async () => {
    const p = globalThis.deskPage;
    await p.locator('#logout').click();
    await p.locator('#login-name').waitFor({ state: 'visible' });
    assert.match(await p.locator('#login-message').textContent(), /已退出登录/);
    const st = await p.evaluate(async () => (await fetch('/v1/settlements?limit=1')).status);
    assert.equal(st, 401);
    const cookies = await p.context().cookies();
    assert.equal(cookies.filter((c) => c.name === 'zt_session' && c.value).length, 0);
    await p.context().close();
  });

  // ---- an auditor reads everything and changes nothing -----------------------
  await check('auditor: every page, no button that changes anything, and a change is refused', async () => {
    const p = await session('auditor');
    await login(p, 'aud', PW.aud);
    await ready(p);
    const cookie = (await p.context().cookies()).find((c) => c.name === 'zt_session');
    assert.ok(cookie && cookie.httpOnly && cookie.sameSite === 'Strict', 'HttpOnly, SameSite=Strict');
    assert.equal(await p.evaluate(() => document.cookie), '', 'the script cannot read it');
    assert.deepEqual(await navTitles(p), ['今日', '结算查询', '结算单', '结算批次', '预付款', '对账', '审计']);
    for (const page of ['today', 'claims', 'slips', 'batches', 'advances', 'reconciliation', 'audit']) {
      await go(p, '#' + page);
      if (page === 'claims') await p.locator('#claims-result table').waitFor();
      assert.deepEqual(await hardErrors(p), [], page + ': no error but "not there yet"');
      assert.equal(await p.locator('#main form.reverse-form, #main #statement-form, #batch-actions').count(), 0);
      const buttons = await p.locator('#main button').allTextContents();
      for (const b of buttons) assert.ok(['查询', '下一页', '显示结算单', '核验', '核验数据一致性'].includes(b), page + ': button ' + b);
      await shot(p, page);
    }
    // a batch and an advance plan in detail: read, no step offered
    await go(p, '#batches');
    await go(p, await p.locator('#main a[href^="#batches/"]').first().getAttribute('href'));
    await p.locator('#batch-history').waitFor();
    assert.equal(await p.locator('#batch-actions, #reject-form').count(), 0);
    assert.deepEqual(await hardErrors(p), []);
    await shot(p, 'batch');
    await go(p, '#advances');
    await go(p, await p.locator('#main a[href^="#advances/"]').first().getAttribute('href'));
    assert.equal(await p.locator('#main button').count(), 0, 'no approve or issue');
    assert.deepEqual(await hardErrors(p), []);
    await shot(p, 'advance-plan');
    // a claim: read, but no reversal
    await go(p, '#claims');
    await p.locator('#claims-result tbody a').first().click();
    await p.waitForFunction(() => document.querySelector('.settlement'));
    await ready(p);
    assert.equal(await p.locator('.reverse-form').count(), 0);
    await shot(p, 'claim');
    // a stay of the demo's supplementary county (510123, 2018): the national
    // platform's part under its Chinese names, then the county's funds
    const nat = await p.evaluate(async () => {
      const list = await (await fetch('/v1/settlements?dscg_from=2018-01-01&limit=50')).json();
      for (const x of list.settlements.filter((y) => y.kind === 'settle')) {
        const c = await (await fetch(`/v1/claims/${x.fixmedins_code}/${encodeURIComponent(x.claim_no)}`)).json();
        const s = (c.settlements || []).find((y) => y.national && y.kind === 'settle');
        if (s) return { fixmedins_code: x.fixmedins_code, claim_no: x.claim_no, national: s.national };
      }
      return null;
    });
    assert.ok(nat, 'the demo settled a claim on top of the national platform');
    await go(p, '#claim/' + encodeURIComponent(nat.fixmedins_code) + '/' + encodeURIComponent(nat.claim_no));
    await p.locator('.national-part').first().waitFor();
    const part = await p.locator('.national-part').first().textContent();
    assert.match(part, /国家医保信息平台结算/);
    assert.ok(part.includes(nat.national.setl_id), 'the national settlement number');
    for (const label of ['基本医保统筹基金', '大病保险', '医疗救助']) assert.ok(part.includes(label), label);
    const yuanText = (a) => { const [i, d = ''] = String(a).split('.'); return i.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + '.' + d.padEnd(2, '0'); };
    assert.ok(part.includes(yuanText(nat.national.hifp_pay)), 'hifp_pay ' + nat.national.hifp_pay + ' in ' + part);
    assert.deepEqual(await hardErrors(p), []);
    await shot(p, 'claim-national');
    // verify: every check passes
    await go(p, '#audit');
    await p.locator('#run-verify').click();
    await p.waitForFunction(() => /全部检查通过|违规/.test(document.querySelector('#verify-all').textContent));
    assert.match(await p.locator('#verify-all').textContent(), /全部检查通过，没有违规/);
    await shot(p, 'audit-verified');
    // what the page does not offer, the service refuses: with the CSRF token, 403
    const r = await p.evaluate(async () => {
      const s = await (await fetch('/console/session')).json();
      const list = await (await fetch('/v1/settlements?limit=1')).json();
      const x = list.settlements[0];
      const rv = await fetch(`/v1/claims/${x.fixmedins_code}/${encodeURIComponent(x.claim_no)}/reversal`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf },
        body: JSON.stringify({ setl_id: x.setl_id, reason: 'auditor' }) });
      return { status: rv.status, body: await rv.json() };
    });
    assert.equal(r.status, 403);
    assert.equal(r.body.code, 'forbidden');
    await p.context().close();
  });

  // ---- other roles: their pages --------------------------------------------
  for (const [user, role, pages] of [['fin', 'finance', ['today', 'batches', 'advances', 'reconciliation']], ['fund', 'fund-admin', ['today', 'claims', 'batches']]]) {
    await check(`${role}: the pages of the role`, async () => {
      const p = await session(role);
      await login(p, user, PW[user]);
      await ready(p);
      for (const page of pages) {
        await go(p, '#' + page);
        if (page === 'claims') await p.locator('#claims-result table').waitFor();
        assert.deepEqual(await hardErrors(p), [], page);
        await shot(p, page);
      }
      await p.context().close();
    });
  }

  // ---- maker-checker: a fund administrator rejects (with a reason) and ---------
  // approves a batch another made, never their own
  await check('fund-admin: rejects a batch another made with a reason, approves one another made, never their own', async () => {
    const maker = await session('fund-admin-maker');
    await login(maker, 'fund', PW.fund);
    await ready(maker);
    await go(maker, '#batches');
    // what the demo settled after its batches: a new batch of fund 390100, made by 'fund'
    await maker.getByRole('button', { name: '生成新批次' }).click();
    // the demo made B390100-000001: this one is the next
    const id = 'B390100-000002';
    await maker.locator('#main a', { hasText: '批次 ' + id + ' 详情' }).or(maker.locator('#main [role=alert]')).first().waitFor();
    assert.deepEqual(await maker.locator('#main [role=alert]').allTextContents(), [], 'making the batch');
    await go(maker, '#batches/' + id);
    await maker.locator('#batch-actions').waitFor();
    await maker.locator('#batch-actions button', { hasText: '审核通过' }).click();
    await maker.locator('#batch-actions [role=alert]', { hasText: '双人复核' }).waitFor();
    assert.equal(await maker.locator('#main [data-status]').first().getAttribute('data-status'), 'draft');
    await shot(maker, 'batch-own-approval-refused');

    // another administrator of the fund rejects it: not without a reason
    const checker = await session('fund-admin-checker');
    await login(checker, 'fund2', PW.fund2);
    await ready(checker);
    await go(checker, '#batches/' + id);
    await checker.locator('#reject-form button', { hasText: '驳回' }).click();
    await checker.locator('#reject-form', { hasText: '请填写驳回原因' }).waitFor();
    assert.equal(await checker.locator('#main [data-status]').first().getAttribute('data-status'), 'draft', 'nothing sent without a reason');
    const why = '浏览器测试：明细待核（' + Date.now() + '）';
    await checker.locator('#reject-form-reason').fill(why);
    await checker.locator('#reject-form-reason').press('Enter');
    await checker.locator('#main [data-status=rejected]').first().waitFor();
    assert.match(await checker.locator('#main [data-status=rejected]').first().textContent(), /已驳回/);
    // the reason in the batch's history, with who rejected it
    const rej = checker.locator('#batch-history tbody tr[data-action=reject]');
    assert.equal(await rej.count(), 1);
    assert.equal(await rej.locator('td').nth(1).textContent(), 'fund2');
    assert.equal(await rej.locator('td').nth(2).textContent(), '驳回');
    assert.equal(await rej.locator('td.reject-reason').textContent(), '驳回原因：' + why);
    // sent to the service as the checker's reason (not only shown)
    const hist = await checker.evaluate(async (b) => (await (await fetch('/v1/batches/' + b)).json()).history, id);
    assert.ok(hist.some((e) => e.action === 'reject' && e.actor === 'fund2' && e.detail === why), JSON.stringify(hist));
    assert.deepEqual(await hardErrors(checker), []);
    await shot(checker, 'batch-rejected-with-reason');

    // the maker reopens it (a draft again, theirs) and still cannot approve it
    await go(maker, '#batches/' + id);
    await maker.locator('#reopen-form-reason').fill('补齐明细后重开');
    await maker.locator('#reopen-form button').click();
    await maker.locator('#batch-history tbody tr[data-action=reopen]').waitFor();
    assert.equal(await maker.locator('#main [data-status]').first().getAttribute('data-status'), 'draft');
    assert.equal(await maker.locator('#batch-history tbody tr[data-action=reopen]').count(), 1);
    assert.match(await maker.locator('#batch-history tbody tr[data-action=reopen]').textContent(), /补齐明细后重开/);
    await maker.locator('#batch-actions button', { hasText: '审核通过' }).click();
    await maker.locator('#batch-actions [role=alert]', { hasText: '双人复核' }).waitFor();
    assert.equal(await maker.locator('#main [data-status]').first().getAttribute('data-status'), 'draft');
    await maker.context().close();

    // the other administrator approves it
    await go(checker, '#batches/' + id);
    await checker.locator('#batch-actions button', { hasText: '审核通过' }).click();
    await checker.locator('#main [data-status=approved]').first().waitFor();
    assert.match(await checker.locator('#main [data-status=approved]').first().textContent(), /已审核/);
    assert.equal(await checker.locator('#batch-history tbody tr[data-action=approve] td').nth(1).textContent(), 'fund2');
    assert.deepEqual(await hardErrors(checker), []);
    await shot(checker, 'batch-approved-by-another');
    await checker.context().close();
  });

  // ---- finance: a statement uploaded, its exception resolved with a note ------
  await check('finance: uploads a statement and resolves its exception', async () => {
    const day = new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
    const camt = `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><GrpHdr><MsgId>CONSOLE-1</MsgId><CreDtTm>${day}T18:00:00+08:00</CreDtTm></GrpHdr><Stmt><Id>CONSOLE-1-1</Id><CreDtTm>${day}T18:00:00+08:00</CreDtTm><Acct><Id><Othr><Id>6222020200000000001</Id></Othr></Id><Ccy>CNY</Ccy></Acct><Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="CNY">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>${day}</Dt></Dt></Bal><Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="CNY">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>${day}</Dt></Dt></Bal>
<Ntry><Amt Ccy="CNY">123.45</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>${day}</Dt></BookgDt><ValDt><Dt>${day}</Dt></ValDt><AcctSvcrRef>BS-CONSOLE-1</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs><Amt Ccy="CNY">123.45</Amt><CdtDbtInd>CRDT</CdtDbtInd><RmtInf><Ustrd>interest</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>
`;
    const file = path.join(tmp, 'statement.xml');
    fs.writeFileSync(file, camt);
    const p = await session('finance-statement');
    await login(p, 'fin', PW.fin);
    await ready(p);
    await go(p, '#reconciliation');
    await p.locator('#statement-file').setInputFiles(file);
    assert.equal(await p.locator('#statement-chosen').textContent(), 'statement.xml');
    await p.locator('#statement-form button[type=submit]').click();
    await p.locator('#statement-result .ok', { hasText: '已导入' }).waitFor();
    await shot(p, 'statement-imported');
    // the credit names no batch: an open exception, resolved with a note
    await go(p, '#reconciliation');
    const row = p.locator('#main .actions', { hasText: /例外 EXC-\d+/ }).first();
    await row.waitFor();
    const exc = /EXC-\d+/.exec(await row.textContent())[0];
    // a credit naming nothing: written off (or refunded, or matched by hand)
    await row.locator('select').selectOption('write-off');
    await row.locator('input').fill('银行结息，非医保资金（控制台测试）');
    await row.locator('button', { hasText: '处理' }).click();
    await p.waitForFunction((x) => !document.querySelector('#main').textContent.includes('例外 ' + x + '：'), exc);
    assert.deepEqual(await hardErrors(p), []);
    await shot(p, 'exception-resolved');
    await p.context().close();
    // the decision is in the store, with its note and who made it
    const out = z(['reconcile', 'exceptions', '--all', '--format', 'csv']);
    assert.match(out, new RegExp(exc + '.*write-off.*银行结息，非医保资金（控制台测试）.*fin'));
  });

  // ---- wrong passwords lock the login ---------------------------------------
  await check('login: five wrong passwords lock it, even for the right one', async () => {
    const p = await session('login');
    await p.goto(base + '/console/');
    await shot(p, 'form');
    for (let i = 0; i < 5; i++) {
      await p.locator('#login-name').fill('desk2');
      await p.locator('#login-password').fill('wrong-password-' + i);
      await p.locator('#login-submit').click();
      await p.waitForFunction((n) => document.querySelector('#login-message').textContent !== '' &&
        !document.querySelector('#login-submit').disabled, i);
      const msg = await p.locator('#login-message').textContent();
      if (i < 4) assert.equal(msg, '用户名或密码错误。');
      else assert.match(msg, /已锁定/);
      await p.evaluate(() => { document.querySelector('#login-message').textContent = ''; });
    }
    await p.locator('#login-name').fill('desk2');
    await p.locator('#login-password').fill(PW.desk2);
    await p.locator('#login-submit').click();
    await p.waitForFunction(() => /已锁定/.test(document.querySelector('#login-message').textContent));
    assert.equal(await p.locator('#app').isVisible(), false);
    await shot(p, 'locked');
    await p.context().close();
  });
  // ---- the README links every screenshot this test keeps, and nothing else ----
  await check('README: links each screenshot kept (and only those)', async () => {
    const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const linked = [...readme.matchAll(/\]\(build\/tests\/artifacts\/console\/([^)\s]+)\)/g)].map((m) => m[1]);
    const kept = [...shots, 'slip.pdf'];  /* and index.txt, written when the run ends */
    assert.ok(linked.includes('index.txt'), 'the README links the list');
    assert.deepEqual([...new Set(linked.filter((f) => f !== 'index.txt'))].sort(), [...new Set(kept)].sort());
    for (const f of shots) assert.ok(fs.statSync(path.join(ARTIFACTS, f)).size > 1000, f);
  });
} finally {
  await browser.close();
  server.kill('SIGTERM');
  await new Promise((r) => (server.exitCode !== null ? r() : server.on('exit', r)));
  // SIGTERM stops it cleanly: exit 0 (under the sanitizers, also no error, no leak)
  if (server.exitCode !== 0) { failed++; results.push(`FAIL zhitong serve exited ${server.exitCode} (${server.signalCode}): ${serverErr.slice(-4000)}`); }
  fs.writeFileSync(path.join(ARTIFACTS, 'index.txt'), shots.join('\n') + '\n');
  fs.rmSync(tmp, { recursive: true, force: true });
}

for (const r of results) console.log(r);
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
