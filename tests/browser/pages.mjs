// NSK Registry's pages as a person uses them, in Debian's Chromium (playwright-core, no
// downloaded browser): the QR code's address for each status, the language switch and the
// choice kept, a search in the register of professions, the keyboard (the skip link first),
// pages working without JavaScript, and axe-core finding no serious or critical violation.
// Screenshots go to NSK_SCREENSHOTS. Run by tests/tests/browser_pages.rs, which starts the
// platform and makes the data; prints one line per check, exits non-zero on the first failure.

import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env('NSK_BASE_URL');
const shots = env('NSK_SCREENSHOTS');
const serials = {
  valid: env('NSK_VALID'),
  expired: env('NSK_EXPIRED'),
  cancelled: env('NSK_CANCELLED'),
  unknown: env('NSK_UNKNOWN'),
};
mkdirSync(shots, { recursive: true });

function check(condition, what) {
  if (!condition) throw new Error(`failed: ${what}`);
  console.log(`ok: ${what}`);
}

const browser = await chromium.launch({
  executablePath: process.env.NSK_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  // The pages need no script: the person's browser runs none of ours.
  const person = await browser.newContext({ javaScriptEnabled: false, locale: 'kk-KZ' });
  const page = await person.newPage();

  const words = {
    valid: ['verdict-valid', 'Жарамды'],
    expired: ['verdict-expired', 'Мерзімі өтті'],
    cancelled: ['verdict-cancelled', 'Күші жойылды'],
    unknown: ['verdict-unknown', 'Тізілімде жоқ'],
  };
  for (const [status, serial] of Object.entries(serials)) {
    const answer = await page.goto(`${base}/v1/verify/${serial}`);
    const [cls, word] = words[status];
    const verdict = page.locator('section.verdict');
    check(await verdict.getAttribute('class') === `verdict ${cls}`, `${status}: its own look`);
    check((await page.locator('.verdict-word').innerText()).includes(word), `${status}: "${word}"`);
    check(answer.status() === (status === 'unknown' ? 404 : 200), `${status}: HTTP ${answer.status()}`);
    await page.screenshot({ path: join(shots, `verify-${status}-kk.png`), fullPage: true });
  }

  // The switch: Russian, kept on the next page by the cookie.
  await page.goto(`${base}/v1/verify/${serials.cancelled}`);
  await page.locator('nav.languages a[hreflang="ru"]').click();
  check(await page.locator('html').getAttribute('lang') === 'ru', 'switched to Russian');
  check((await page.locator('.verdict-word').innerText()).includes('Аннулирован'), 'the verdict in Russian');
  await page.screenshot({ path: join(shots, 'verify-cancelled-ru.png'), fullPage: true });
  await page.locator('nav.sections a[href="/registers/professions"]').click();
  check(await page.locator('html').getAttribute('lang') === 'ru', 'Russian kept on the next page');
  await page.locator('nav.languages a[hreflang="en"]').click();
  await page.goto(`${base}/v1/verify/${serials.valid}`);
  check((await page.locator('.verdict-word').innerText()).includes('Valid'), 'English kept at the QR address');
  await page.screenshot({ path: join(shots, 'verify-valid-en.png'), fullPage: true });

  // A search, by the form, from the keyboard.
  await page.goto(`${base}/registers/professions?lang=ru`);
  await page.locator('#name').fill('свар');
  await page.locator('#name').press('Enter');
  check(new URL(page.url()).searchParams.get('name') === 'свар', 'the search submitted');
  const rows = page.locator('table tbody tr');
  check(await rows.count() === 1, 'one profession found');
  check((await rows.first().innerText()).includes('Сварщик'), 'the welder listed');
  await page.screenshot({ path: join(shots, 'professions-ru.png'), fullPage: true });
  await page.locator('#name').fill('пекарь');
  await page.locator('form.filters button').click();
  check((await page.locator('.empty').innerText()).includes('Ничего не найдено'), 'nothing found, said so');

  // The keyboard: the skip link comes first and leads to the content.
  await page.goto(`${base}/registers/centers?lang=en`);
  await page.keyboard.press('Tab');
  check(await page.locator('a.skip:focus').count() === 1, 'the skip link first');
  await page.keyboard.press('Enter');
  check(page.url().endsWith('#main'), 'the skip link leads to the content');
  await person.close();

  // axe-core, in a context that lets it run on our pages (they forbid scripts).
  const auditor = await browser.newContext({ bypassCSP: true });
  const audited = await auditor.newPage();
  const pages = [
    `/v1/verify/${serials.valid}`, `/v1/verify/${serials.cancelled}?lang=ru`,
    `/v1/verify/${serials.expired}?lang=en`, `/v1/verify/${serials.unknown}`, '/verify',
    '/registers/professions?lang=ru', '/registers/standards', '/registers/centers?lang=en',
    '/registers/offers', '/registers/cancelled?lang=ru',
  ];
  for (const path of pages) {
    await audited.goto(`${base}${path}`);
    await audited.evaluate(axeSource);
    const result = await audited.evaluate(() =>
      window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice'] }));
    const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    for (const v of serious) console.log(`  ${v.impact} ${v.id}: ${v.help} (${v.nodes.length}) ${v.nodes[0]?.html}`);
    check(result.passes.length > 10, `axe ran its rules on ${path} (${result.passes.length} passed)`);
    check(serious.length === 0, `axe: no serious violation on ${path} (${result.violations.length} minor)`);
  }
  await auditor.close();
} finally {
  await browser.close();
}
