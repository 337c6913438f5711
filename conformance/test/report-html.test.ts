// The HTML report as a person sees it: Report.html of a fixed run, opened in Debian's
// headless Chromium at a desktop and a phone width, screenshot and compared pixel by pixel
// with the baselines in __screenshots__/, plus layout checks made through the page itself.
//
// Needs /usr/bin/chromium (`apt-get install -y --no-install-recommends chromium`; .ci/run
// installs it). Update the baselines after an intended change of the page with
//   UPDATE_SCREENSHOTS=1 pnpm --filter @paywire/conformance exec vitest run test/report-html.test.ts
// and look at the new PNGs before committing them. On a mismatch the test writes
// `<name>.actual.png` and `<name>.diff.png` beside the baseline (both git-ignored).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import pixelmatch from 'pixelmatch'
import { type Browser, chromium, type Page } from 'playwright-core'
import { PNG } from 'pngjs'
import { afterAll, describe, expect, it } from 'vitest'
import * as Report from '../src/Report.js'
import { credential, run } from './fixtures/report-results.js'

const executablePath = '/usr/bin/chromium'
const directory = new URL('./__screenshots__/', import.meta.url)
const update = process.env.UPDATE_SCREENSHOTS === '1'
/** Per pixel: pixelmatch's colour distance threshold (0..1). */
const pixelThreshold = 0.05
/** Per image: the share of pixels allowed to differ (anti-aliasing noise, not layout). */
const maxMismatchRatio = 0.0002

const viewports = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'narrow', width: 375, height: 800 },
] as const

const html = Report.html(run)
let launched: Promise<Browser> | undefined

/** Chromium, launched once for the file; every test fails (none skips) when it is missing. */
function browser(): Promise<Browser> {
  launched ??= launch()
  return launched
}

async function launch(): Promise<Browser> {
  if (!existsSync(executablePath))
    throw new Error(
      `${executablePath} is missing: the HTML report's screenshot test needs Debian's Chromium. Install it with \`apt-get update && apt-get install -y --no-install-recommends chromium\` (as root; .ci/run does this on CI).`,
    )
  if (update && process.env.CI)
    throw new Error('UPDATE_SCREENSHOTS=1 is for a local run: CI compares with the baselines.')
  return chromium.launch({
    executablePath,
    // Same pixels on every machine of this kind: no hinting or subpixel text, no GPU, sRGB.
    args: [
      '--font-render-hinting=none',
      '--disable-lcd-text',
      '--disable-gpu',
      '--force-color-profile=srgb',
    ],
  })
}

afterAll(async () => {
  await (await launched?.catch(() => undefined))?.close()
})

describe.each(viewports)('Report.html at $name width ($width px)', (viewport) => {
  async function open(): Promise<{ page: Page; requests: string[] }> {
    const context = await (await browser()).newContext({
      viewport: { width: viewport.width, height: viewport.height },
      deviceScaleFactor: 1,
      colorScheme: 'light',
      reducedMotion: 'reduce',
    })
    const opened = await context.newPage()
    const requests: string[] = []
    opened.on('request', (request) => requests.push(request.url()))
    await opened.setContent(html, { waitUntil: 'load' })
    await opened.evaluate(() => document.fonts.ready)
    return { page: opened, requests }
  }

  it('matches the baseline screenshot', async () => {
    const { page: opened } = await open()
    const fonts = await renderedFonts(opened)
    expect(fonts, 'the page must render in DejaVu (Debian: fonts-dejavu-core)').toEqual({
      text: 'DejaVu Sans',
      code: 'DejaVu Sans Mono',
    })
    const actual = await opened.screenshot({
      fullPage: true,
      animations: 'disabled',
      caret: 'hide',
    })
    await opened.context().close()
    compare(viewport.name, actual)
  })

  it('fits the width, shows every test id and the totals, and loads nothing', async () => {
    const { page: opened, requests } = await open()
    const layout = await opened.evaluate(() => {
      const root = document.documentElement
      const widest = Math.max(
        ...Array.from(document.body.querySelectorAll('*'), (e) => e.getBoundingClientRect().right),
      )
      return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, widest }
    })
    expect(layout.scrollWidth).toBeLessThanOrEqual(layout.clientWidth)
    expect(layout.widest).toBeLessThanOrEqual(viewport.width)

    for (const result of run.results) {
      const id = opened.locator(`tr[id="${result.id}"] td.id code`)
      await expect(id.textContent()).resolves.toBe(result.id)
      const box = await id.boundingBox()
      expect(box, result.id).not.toBeNull()
      expect(box?.x ?? -1).toBeGreaterThanOrEqual(0)
      expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(viewport.width)
      expect(await id.isVisible()).toBe(true)
      const verdict = opened.locator(`tr[id="${result.id}"] .v`)
      await expect(verdict.textContent()).resolves.toBe(result.verdict)
      expect(await verdict.isVisible()).toBe(true)
    }

    const totals = opened.locator('p.totals')
    await expect(totals.textContent()).resolves.toBe(
      '1 pass 1 fail 1 warn 1 xfail 1 n/a 1 error of 6',
    )
    // Each verdict pill stays on one line (no "1" on one line and "error" on the next).
    const lines = await opened
      .locator('.v')
      .evaluateAll((pills) => pills.map((pill) => pill.getClientRects().length))
    expect(lines.every((count) => count === 1)).toBe(true)
    expect(requests).toEqual([])
    await opened.context().close()
  })

  it('opens the evidence of failures and errors, folds the rest reachably, and redacts it', async () => {
    const { page: opened } = await open()
    for (const result of run.results) {
      const row = opened.locator(`tr[id="${result.id}"]`)
      const evidence = row.locator('details pre')
      if (result.verdict === 'pass' || result.evidence.length === 0) {
        expect(await row.locator('details').count(), result.id).toBe(0)
        continue
      }
      if (result.verdict === 'fail' || result.verdict === 'error')
        expect(await evidence.isVisible(), `${result.id} evidence open`).toBe(true)
      else {
        expect(await evidence.isVisible(), `${result.id} evidence folded`).toBe(false)
        await row.locator('details summary').click()
        expect(await evidence.isVisible(), `${result.id} evidence unfolds`).toBe(true)
      }
      const shown = JSON.parse((await evidence.textContent()) ?? '')
      expect(shown).toEqual(result.evidence)
      const box = await evidence.boundingBox()
      expect((box?.x ?? 0) + (box?.width ?? Number.POSITIVE_INFINITY)).toBeLessThanOrEqual(
        viewport.width,
      )
    }
    const dom = await opened.evaluate(() => document.documentElement.outerHTML)
    const token = credential.slice('Payment '.length)
    expect(dom).toContain('Payment [redacted: 151 characters]')
    expect(dom).not.toContain(token.slice(0, 24))
    expect(dom).not.toMatch(/Payment ey/)
    await opened.context().close()
  })
})

/** The families Chromium rendered the body text and the code in (via the DevTools protocol). */
async function renderedFonts(
  opened: Page,
): Promise<{ text: string | undefined; code: string | undefined }> {
  const cdp = await opened.context().newCDPSession(opened)
  await cdp.send('DOM.enable')
  await cdp.send('CSS.enable')
  const { root } = await cdp.send('DOM.getDocument')
  const family = async (selector: string) => {
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector })
    const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId })
    return fonts[0]?.familyName
  }
  const fonts = { text: await family('body > p'), code: await family('td.id code') }
  await cdp.detach()
  return fonts
}

/** Compares a screenshot with its baseline, or writes the baseline under UPDATE_SCREENSHOTS=1. */
function compare(name: string, screenshot: Buffer): void {
  mkdirSync(directory, { recursive: true })
  const baselineFile = new URL(`${name}.png`, directory)
  const actualFile = new URL(`${name}.actual.png`, directory)
  const diffFile = new URL(`${name}.diff.png`, directory)
  rmSync(actualFile, { force: true })
  rmSync(diffFile, { force: true })
  if (update) {
    writeFileSync(baselineFile, screenshot)
    return
  }
  if (!existsSync(baselineFile))
    throw new Error(
      `no baseline ${baselineFile.pathname}: run with UPDATE_SCREENSHOTS=1 and check in the PNG`,
    )
  const baseline = PNG.sync.read(readFileSync(baselineFile))
  const actual = PNG.sync.read(screenshot)
  if (baseline.width !== actual.width || baseline.height !== actual.height) {
    writeFileSync(actualFile, screenshot)
    throw new Error(
      `${name}: the page is ${actual.width}x${actual.height} px, the baseline ${baseline.width}x${baseline.height} px (actual written to ${actualFile.pathname})`,
    )
  }
  const diff = new PNG({ width: actual.width, height: actual.height })
  const differing = pixelmatch(baseline.data, actual.data, diff.data, actual.width, actual.height, {
    threshold: pixelThreshold,
  })
  const ratio = differing / (actual.width * actual.height)
  if (ratio > maxMismatchRatio) {
    writeFileSync(actualFile, screenshot)
    writeFileSync(diffFile, PNG.sync.write(diff))
    throw new Error(
      `${name}: ${differing} pixels (${(ratio * 100).toFixed(3)}%) differ from the baseline, more than ${(maxMismatchRatio * 100).toFixed(2)}% (actual and diff written beside ${baselineFile.pathname})`,
    )
  }
}
