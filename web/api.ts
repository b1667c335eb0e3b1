import { FetchHttpClient, HttpApiClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { Cause, Effect, Exit, Option } from "effect"
import { Api } from "../src/Api.js"
import { ChannelNotConfigured } from "../src/Domain/Message.js"
import { createStore } from "./store.js"
import { notConfiguredWords } from "./words.js"

/**
 * The page's only way to the service: a client derived from the same `HttpApi` the server implements, so
 * a changed endpoint breaks this page's type check. Calls resolve to the success value or throw a
 * `Problem`, an error in words.
 */

const TokenKey = "social-outreach.api-token"

const storedToken = () => sessionStorage.getItem(TokenKey)

const makeClient = (token: () => string | null) =>
  Effect.runSync(
    HttpApiClient.make(Api, {
      baseUrl: location.origin,
      transformClient: HttpClient.mapRequest((request) => {
        const value = token()
        return value === null ? request : HttpClientRequest.bearerToken(request, value)
      })
    }).pipe(Effect.provide(FetchHttpClient.layer))
  )

export type Client = ReturnType<typeof makeClient>

export interface Problem {
  readonly tag: string
  readonly message: string
}

export const isProblem = (value: unknown): value is Problem =>
  typeof value === "object" && value !== null && "tag" in value && "message" in value

type Tagged = { readonly _tag: string; readonly message?: unknown }

const issuesOf = (error: unknown): string => {
  const issues = (error as { issues?: ReadonlyArray<{ path: ReadonlyArray<unknown>; message: string }> }).issues ?? []
  return issues.map((issue) => `${issue.path.length > 0 ? `${issue.path.join(".")}: ` : ""}${issue.message}`).join("; ")
}

/** Any failure of a call, said in words a person can act on. */
export const problemOf = (error: unknown): Problem => {
  if (typeof error !== "object" || error === null || !("_tag" in error)) {
    return { tag: "Error", message: error instanceof Error ? error.message : String(error) }
  }
  // The settings to set, in words, rather than the service's short line.
  if (error instanceof ChannelNotConfigured) return { tag: error._tag, message: notConfiguredWords(error.channel, error.missing) }
  const tagged = error as Tagged
  switch (tagged._tag) {
    case "RequestError":
      return { tag: "Unreachable", message: "The service did not answer. Is it running, and is this the right address?" }
    case "ResponseError": {
      const status = (error as { response?: { status?: number } }).response?.status
      return { tag: "ResponseError", message: `The service answered with an unexpected ${status ?? "response"}.` }
    }
    case "ParseError":
      return { tag: "ParseError", message: "A request or an answer did not fit the API definition (if the service was just updated, reload the page)." }
    case "HttpApiDecodeError": {
      const detail = issuesOf(error)
      return { tag: "HttpApiDecodeError", message: detail.length > 0 ? `The service refused the input: ${detail}` : String(tagged.message) }
    }
    default:
      return { tag: tagged._tag, message: typeof tagged.message === "string" && tagged.message.length > 0 ? tagged.message : tagged._tag }
  }
}

export type Access =
  | { readonly kind: "checking" }
  | { readonly kind: "open" }
  | { readonly kind: "token" }
  | { readonly kind: "ask"; readonly wrong: boolean }
  | { readonly kind: "unreachable"; readonly message: string }

/** Whether the API needs a token, and whether we hold a good one. */
export const access = createStore<Access>({ kind: "checking" })

/** A problem of the service as a whole (schema not migrated, database down), shown above every screen. */
export const serviceProblem = createStore<Problem | null>(null)

const client = makeClient(storedToken)

const execute = async <A, E>(target: Client, call: (client: Client) => Effect.Effect<A, E>): Promise<Exit.Exit<A, E>> =>
  Effect.runPromiseExit(call(target).pipe(Effect.provideService(FetchHttpClient.RequestInit, { credentials: "omit" })))

const failureOf = <E>(cause: Cause.Cause<E>): unknown =>
  Option.getOrElse(Cause.failureOption(cause), () => Cause.squash(cause))

const isServiceWide = (problem: Problem) => problem.tag === "TablesMissing" || problem.tag === "DatabaseUnavailable"

/** Runs one call of the API; throws a `Problem`. A refused token sends the person back to the token form. */
export const api = async <A, E>(call: (client: Client) => Effect.Effect<A, E>): Promise<A> => {
  const exit = await execute(client, call)
  if (Exit.isSuccess(exit)) return exit.value
  const problem = problemOf(failureOf(exit.cause))
  if (problem.tag === "Unauthorized") {
    sessionStorage.removeItem(TokenKey)
    access.set({ kind: "ask", wrong: true })
  }
  if (isServiceWide(problem)) serviceProblem.set(problem)
  throw problem
}

// A page of one profile: the cheapest call that passes the token check.
const probe = (target: Client) => execute(target, (c) => c.profiles.list({ urlParams: { limit: 1 } }))

/**
 * Whether the service can work at all: `/health/ready` is open and names missing tables. A problem
 * stays shown until this says it is gone (one endpoint that works says nothing about the others).
 */
export const checkHealth = async () => {
  const exit = await execute(client, (c) => c.health.ready())
  if (Exit.isSuccess(exit)) return serviceProblem.set(null)
  const problem = problemOf(failureOf(exit.cause))
  if (isServiceWide(problem)) serviceProblem.set(problem)
}

/**
 * Finds out whether the API is open: asked without a token, an open API answers and a protected one
 * says 401 (and shows nothing). Then tries the token this browser session holds, if any.
 */
export const checkAccess = async () => {
  access.set({ kind: "checking" })
  void checkHealth()
  const anonymous = await probe(makeClient(() => null))
  const problem = Exit.isFailure(anonymous) ? problemOf(failureOf(anonymous.cause)) : undefined
  if (problem?.tag === "Unreachable") return access.set({ kind: "unreachable", message: problem.message })
  if (problem?.tag !== "Unauthorized") {
    sessionStorage.removeItem(TokenKey)
    return access.set({ kind: "open" })
  }
  const token = storedToken()
  if (token === null) return access.set({ kind: "ask", wrong: false })
  await tryToken(token)
}

/** Tries a token; keeps it for this browser session (never a cookie) only when the service accepts it. */
export const tryToken = async (token: string): Promise<boolean> => {
  const exit = await probe(makeClient(() => token))
  const problem = Exit.isFailure(exit) ? problemOf(failureOf(exit.cause)) : undefined
  if (problem?.tag === "Unreachable") {
    access.set({ kind: "unreachable", message: problem.message })
    return false
  }
  if (problem?.tag === "Unauthorized") {
    sessionStorage.removeItem(TokenKey)
    access.set({ kind: "ask", wrong: true })
    return false
  }
  sessionStorage.setItem(TokenKey, token)
  access.set({ kind: "token" })
  return true
}

export const forgetToken = () => {
  sessionStorage.removeItem(TokenKey)
  access.set({ kind: "ask", wrong: false })
}

/**
 * A payload that is a union (each platform's discovery request, each import format) as the client takes
 * it: one request type per case, rather than one request holding the union.
 */
export const payloadOf = <U,>(payload: U) => ({ payload }) as U extends unknown ? { readonly payload: U } : never

/** A fresh random key (`crypto.randomUUID` needs a secure context; this page may be served over plain HTTP). */
export const randomKey = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, "0")).join("")
