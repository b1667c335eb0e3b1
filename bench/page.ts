/** What the review desk ships: the script and stylesheet the compiled service's page names, raw and gzipped on the wire. */
export interface PageWeight {
  readonly jsBytes: number
  readonly jsGzipBytes: number
  readonly cssBytes: number
  readonly cssGzipBytes: number
}

const sizes = async (url: string) => {
  const raw = await fetch(url, { headers: { "accept-encoding": "identity" } })
  const rawBytes = (await raw.arrayBuffer()).byteLength
  const zipped = await fetch(url, { headers: { "accept-encoding": "gzip" } })
  await zipped.arrayBuffer()
  if (raw.status !== 200 || zipped.headers.get("content-encoding") !== "gzip") throw new Error(`${url}: ${raw.status}, not gzipped`)
  return { rawBytes, gzipBytes: Number(zipped.headers.get("content-length")) }
}

export const measurePage = async (base: string): Promise<PageWeight> => {
  const html = await (await fetch(`${base}/`)).text()
  const assets = (pattern: RegExp) => [...html.matchAll(pattern)].map((match) => `${base}${match[1]}`)
  const total = async (urls: ReadonlyArray<string>) => {
    const each = await Promise.all(urls.map(sizes))
    return { raw: each.reduce((n, s) => n + s.rawBytes, 0), gzip: each.reduce((n, s) => n + s.gzipBytes, 0) }
  }
  const js = await total(assets(/src="(\/assets\/[^"]+\.js)"/g))
  const css = await total(assets(/href="(\/assets\/[^"]+\.css)"/g))
  return { jsBytes: js.raw, jsGzipBytes: js.gzip, cssBytes: css.raw, cssGzipBytes: css.gzip }
}
