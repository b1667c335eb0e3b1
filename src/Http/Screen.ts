import { HttpApi, type HttpApiGroup, HttpApiMiddleware } from "@effect/platform"
import { Context } from "effect"
import { ImportBody } from "../Domain/Server.js"
import { textProblem } from "../Domain/Text.js"

/**
 * What the edge checks before any endpoint sees a request: a body where none belongs, its media type, its
 * size, its nesting and its text. Pure functions over the request's parts, so every rule is testable alone.
 */

/** Deeper JSON than any request of ours needs; deeper input is refused before it is decoded. */
export const MaxJsonDepth = 32

export interface Route {
  readonly method: string
  readonly path: string
  readonly pattern: RegExp
  readonly params: number
  /** Media types the endpoint's payload accepts; empty when it takes none. */
  readonly accepts: ReadonlySet<string>
  readonly importBody: boolean
  /** Behind a security middleware (the bearer token): its body is read only once the caller is known. */
  readonly secured: boolean
}

/** Every endpoint of the API, with the request bodies it accepts, most specific path first. */
export const routesOf = <Id extends string, Groups extends HttpApiGroup.HttpApiGroup.Any, E, R>(
  api: HttpApi.HttpApi<Id, Groups, E, R>
): ReadonlyArray<Route> => {
  const routes: Array<Route> = []
  HttpApi.reflect(api, {
    onGroup: () => {},
    onEndpoint: ({ endpoint, mergedAnnotations, middleware, payloads }) => {
      const segments = endpoint.path.split("/")
      const pattern = new RegExp(
        `^${segments.map((s) => (s.startsWith(":") ? "[^/]+" : s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).join("/")}/?$`
      )
      routes.push({
        method: endpoint.method,
        path: endpoint.path,
        pattern,
        params: segments.filter((s) => s.startsWith(":")).length,
        accepts: new Set(endpoint.method === "GET" || endpoint.method === "DELETE" ? [] : payloads.keys()),
        importBody: Context.getOption(mergedAnnotations, ImportBody)._tag === "Some",
        secured: [...middleware].some(HttpApiMiddleware.isSecurity)
      })
    }
  })
  return routes.sort((a, b) => a.params - b.params)
}

export const findRoute = (routes: ReadonlyArray<Route>, method: string, path: string): Route | undefined =>
  routes.find((route) => route.method === method && route.pattern.test(path))

/** `application/json; charset=utf-8` → `application/json`. */
export const mediaType = (header: string | undefined): string | undefined => {
  const type = header?.split(";")[0]?.trim().toLowerCase()
  return type === undefined || type.length === 0 ? undefined : type
}


/**
 * The first problem in a parsed JSON body, naming where it is: nesting deeper than `maxDepth`, or a string
 * (value or key) that cannot be stored. Iterative, so no input can exhaust the stack.
 */
export const jsonProblem = (value: unknown, maxDepth = MaxJsonDepth): string | undefined => {
  const stack: Array<{ readonly value: unknown; readonly path: string; readonly depth: number }> = [{ value, path: "", depth: 0 }]
  while (stack.length > 0) {
    const item = stack.pop()!
    const where = item.path === "" ? "body" : item.path
    if (typeof item.value === "string") {
      const problem = textProblem(item.value)
      if (problem !== undefined) return `${where}: ${problem}`
      continue
    }
    if (typeof item.value !== "object" || item.value === null) continue
    if (item.depth >= maxDepth) return `The JSON body is nested deeper than ${maxDepth} levels`
    const prefix = item.path === "" ? "" : `${item.path}.`
    if (Array.isArray(item.value)) {
      item.value.forEach((child, i) => stack.push({ value: child, path: `${prefix}${i}`, depth: item.depth + 1 }))
      continue
    }
    for (const [key, child] of Object.entries(item.value)) {
      const problem = textProblem(key)
      if (problem !== undefined) return `${where}: a key ${problem}`
      stack.push({ value: child, path: `${prefix}${key}`, depth: item.depth + 1 })
    }
  }
  return undefined
}

export interface Issue {
  readonly path: ReadonlyArray<PropertyKey>
  readonly message: string
}

const expectation = /^Expected ([\s\S]+?), actual [\s\S]*$/
const literal = /^"([^"]*)"$/

/** The messages of one field said as one: a union of literals as `one of a, b`, otherwise the first. */
const sayField = (all: ReadonlyArray<string>): string => {
  const meaningful = all.filter((message) => !/^Expected undefined,/.test(message))
  const messages = meaningful.length > 0 ? meaningful : all
  const expected = messages.map((message) => expectation.exec(message)?.[1])
  const literals = expected.flatMap((e) => (e === undefined ? [] : e.split(" | ")).map((part) => literal.exec(part)?.[1]))
  if (expected.every((e) => e !== undefined) && literals.every((l) => l !== undefined)) {
    return `one of ${[...new Set(literals)].join(", ")}`
  }
  const first = messages[0]!
  const plain = expectation.exec(first)?.[1]
  return plain === undefined ? first : `expected ${plain}`
}

/**
 * A decode failure in a line a person reads: one short issue per field (`limit: must be 1 to 100`,
 * `platform: one of bluesky, mastodon`), the unions' `Expected undefined` noise left out. The full issues
 * stay in the error's `issues`.
 */
export const summarize = (issues: ReadonlyArray<Issue>): string => {
  const byPath = new Map<string, Array<string>>()
  for (const issue of issues) {
    const path = issue.path.map(String).join(".") || "body"
    byPath.set(path, [...(byPath.get(path) ?? []), issue.message])
  }
  return [...byPath].map(([path, messages]) => `${path}: ${sayField(messages)}`).join("; ") || "The request is not valid"
}
