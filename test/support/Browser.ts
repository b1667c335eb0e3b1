import { existsSync, mkdirSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core"

/**
 * Debian's Chromium driven by playwright-core, kept off the network: the background services that phone
 * home are switched off, every request is recorded, and any request that would leave 127.0.0.1 is aborted
 * (and stays in the record, so a test can say so).
 */

const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"

export const launch = (): Promise<Browser> => {
  if (!existsSync(executablePath)) {
    throw new Error(`No Chromium at ${executablePath}: apt-get install -y chromium (.ci/run does), or set CHROMIUM_PATH`)
  }
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-default-apps",
      "--disable-domain-reliability",
      "--no-first-run"
    ]
  })
}

export const outputDirectory = fileURLToPath(new URL("../../test-output/browser/", import.meta.url))

export interface Session {
  readonly context: BrowserContext
  readonly page: Page
  /** Every URL the page asked for, in order. */
  readonly requests: Array<{ readonly method: string; readonly url: string; readonly headers: Record<string, string> }>
  /** Alerts, confirms and prompts the page opened: none should. */
  readonly dialogs: Array<string>
  /** Console errors and uncaught exceptions, CSP violations among them. */
  readonly errors: Array<string>
}

export const Wide = { width: 1280, height: 800 } as const
export const Narrow = { width: 390, height: 844 } as const

export const open = async (browser: Browser): Promise<Session> => {
  const context = await browser.newContext({ viewport: Wide })
  const requests: Session["requests"] = []
  const dialogs: Array<string> = []
  const errors: Array<string> = []
  context.on("request", (request) => requests.push({ method: request.method(), url: request.url(), headers: request.headers() }))
  await context.route((url) => url.hostname !== "127.0.0.1", (route) => route.abort("blockedbyclient"))
  const page = await context.newPage()
  page.on("dialog", (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`)
    void dialog.dismiss()
  })
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text())
  })
  page.on("pageerror", (error) => errors.push(error.message))
  return { context, page, requests, dialogs, errors }
}

/** The page as it looks now, at 1280 px and at 390 px wide, into test-output/browser/NAME-WIDTH.png; fails if it scrolls sideways. */
export const screenshots = async (page: Page, name: string) => {
  mkdirSync(outputDirectory, { recursive: true })
  for (const size of [Wide, Narrow]) {
    await page.setViewportSize(size)
    await page.screenshot({ path: `${outputDirectory}${name}-${size.width}.png`, fullPage: true })
    // Readable at this width: nothing makes the page scroll sideways.
    const width = await page.evaluate("document.documentElement.scrollWidth")
    if (typeof width !== "number" || width > size.width) throw new Error(`${name} is ${String(width)} px wide at ${size.width} px`)
  }
  await page.setViewportSize(Wide)
}

/** The requests that went (or tried to go) anywhere but this machine's 127.0.0.1. */
export const offMachine = (session: Session) =>
  session.requests.filter(({ url }) => {
    const parsed = new URL(url)
    return (parsed.protocol === "http:" || parsed.protocol === "https:" || parsed.protocol === "ws:" || parsed.protocol === "wss:") &&
      parsed.hostname !== "127.0.0.1"
  })
