import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { textProblem } from "../src/Domain/Text.js"
import { jsonProblem, MaxJsonDepth, mediaType, summarize } from "../src/Http/Screen.js"

// JSON whose strings are all storable: no NUL, no lone surrogate.
const storableJson = fc.jsonValue({ maxDepth: 6 }).filter((value) => !/\\u0000|\u0000|[\ud800-\udfff]/.test(JSON.stringify(value)))

const wrap = (value: unknown, depth: number): unknown => {
  let wrapped = value
  for (let i = 0; i < depth; i++) wrapped = i % 2 === 0 ? [wrapped] : { nested: wrapped }
  return wrapped
}

describe("The edge's rules", () => {
  it.prop("storable JSON within the depth limit passes", [storableJson], ([value]) => {
    expect(jsonProblem(value)).toBeUndefined()
  })

  it.prop("a NUL or a lone surrogate anywhere is named by its path", [storableJson, fc.constantFrom("\u0000", "\ud800", "\udc00"), fc.nat(5)], ([value, bad, depth]) => {
    const problem = jsonProblem(wrap({ text: `a${bad}b`, value }, depth))
    expect(problem).toMatch(/text: must (not contain a NUL|be well-formed)/)
    expect(jsonProblem({ [`k${bad}`]: 1 })).toContain("a key must")
  })

  it.prop("nesting past the limit is refused, at or under it is not", [fc.integer({ min: 0, max: 200 })], ([depth]) => {
    expect(jsonProblem(wrap(1, depth)) === undefined).toBe(depth <= MaxJsonDepth)
  })

  it("a million levels are judged without exhausting the stack", () => {
    expect(jsonProblem(JSON.parse("[".repeat(1_000_000) + "]".repeat(1_000_000)))).toContain("nested deeper")
  })

  it("text problems and media types", () => {
    expect(textProblem("fine ✓ 👩‍💻")).toBeUndefined()
    expect(textProblem("\u0000")).toContain("NUL")
    expect(mediaType(" Application/JSON ; charset=utf-8")).toBe("application/json")
    expect(mediaType("")).toBeUndefined()
    expect(mediaType(undefined)).toBeUndefined()
  })

  it("decode failures are said in one short line per field", () => {
    expect(summarize([
      { path: ["platform"], message: "Expected \"bluesky\", actual \"x\"" },
      { path: ["platform"], message: "Expected \"github\", actual \"x\"" },
      { path: ["platform"], message: "Expected undefined, actual \"x\"" },
      { path: ["limit"], message: "must be 1 to 100" },
      { path: ["filters", "query"], message: "Expected string, actual 5" },
      { path: [], message: "is missing" }
    ])).toBe("platform: one of bluesky, github; limit: must be 1 to 100; filters.query: expected string; body: is missing")
  })
})
