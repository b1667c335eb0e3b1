import { type ChildProcess, spawn } from "node:child_process"
import { createServer } from "node:net"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { eventuallyAsync } from "./Eventually.js"
import { testBuild } from "./GlobalSetup.js"

export const root = fileURLToPath(new URL("../..", import.meta.url))

export interface Finished {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

const quietEnv = (env: Record<string, string>) => ({
  PATH: process.env.PATH ?? "",
  HOME: process.env.HOME ?? "/root",
  LOG_FORMAT: "json",
  ...env
})

/** `src/main.ts` or `src/bin/migrate.ts` → its bundle built for this test run (see GlobalSetup.ts). */
export const compiled = (script: string) => join(testBuild, relative("src", script).replace(/\.ts$/, ".js"))

/** Starts a script of `src/` (compiled) from the repository root; the caller waits for or kills it. */
export const start = (script: string, args: Array<string>, env: Record<string, string>) => {
  const child = spawn(process.execPath, ["--enable-source-maps", compiled(script), ...args], { cwd: root, env: quietEnv(env) })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (chunk) => (stdout += chunk))
  child.stderr.on("data", (chunk) => (stderr += chunk))
  const finished = new Promise<Finished>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  )
  return { child, finished, output: () => stdout + stderr }
}

/** Runs a command to its end, killing it after `timeoutMs`. */
export const run = (command: string, args: Array<string>, env: Record<string, string>, timeoutMs = 60_000) => {
  const child: ChildProcess = spawn(command, args, { cwd: root, env: quietEnv(env) })
  let stdout = ""
  let stderr = ""
  child.stdout!.on("data", (chunk) => (stdout += chunk))
  child.stderr!.on("data", (chunk) => (stderr += chunk))
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
  return new Promise<Finished>((resolve) =>
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  )
}

export const migrate = (args: Array<string>, env: Record<string, string>) =>
  run(process.execPath, [compiled("src/bin/migrate.ts"), ...args], env)

/** Runs a script of `src/` (compiled) to its end. */
export const runScript = (script: string, args: Array<string>, env: Record<string, string>, timeoutMs?: number) =>
  run(process.execPath, [compiled(script), ...args], env, timeoutMs)

/** A condition, waited for with a deadline (the promise form of `eventually`). */
export const waitFor = (check: () => Promise<boolean>, timeoutMs: number, what: string) =>
  eventuallyAsync(async () => {
    if (!(await check())) throw new Error("not yet")
  }, { within: timeoutMs, what })

/** A port free on loopback right now. */
export const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
