import { execFileSync, spawn } from "node:child_process"
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { freePort, run } from "./Process.js"

/**
 * A PostgreSQL cluster of the test's own (`initdb` + `pg_ctl` on a spare loopback port, `trust`), for the faults
 * that must never touch the shared server: stopping, restarting and freezing it. fsync is off for speed (only an
 * OS crash loses data then); commits stay synchronous, so an acknowledged commit survives a kill. Created as the
 * `postgres` user when the tests run as root. Destroyed by `destroy()`, and by a watchdog process if the test
 * process dies first, so nothing is left running either way.
 */
export interface Cluster {
  readonly port: number
  /** A URL for `database` (default `postgres`) as user `postgres`. */
  readonly url: (database?: string) => string
  readonly start: () => Promise<void>
  readonly stop: (mode?: "fast" | "immediate") => Promise<void>
  readonly restart: (mode?: "fast" | "immediate") => Promise<void>
  /** SIGSTOP to the postmaster and every backend: the server accepts TCP connections and never answers. */
  readonly freeze: () => void
  readonly thaw: () => void
  readonly destroy: () => Promise<void>
}

const binDir = () => {
  const root = "/usr/lib/postgresql"
  const versions = existsSync(root)
    ? readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "pg_ctl"))).sort((a, b) => Number(b) - Number(a))
    : []
  if (versions.length === 0) throw new Error(`No PostgreSQL server binaries under ${root} (initdb, pg_ctl)`)
  return join(root, versions[0]!, "bin")
}

const asRoot = process.getuid?.() === 0

/** Children of `pid`, from /proc (no pgrep needed). */
const childrenOf = (pid: number): Array<number> =>
  readdirSync("/proc").filter((entry) => /^\d+$/.test(entry)).flatMap((entry) => {
    try {
      // Field 4 of /proc/<pid>/stat is the parent; the name in field 2 may hold spaces, so split after ")".
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8")
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
      return ppid === pid ? [Number(entry)] : []
    } catch {
      return []
    }
  })

const signal = (pids: ReadonlyArray<number>, name: NodeJS.Signals) => {
  for (const pid of pids) {
    try {
      process.kill(pid, name)
    } catch {
      // gone already
    }
  }
}

export const createCluster = async (): Promise<Cluster> => {
  const bin = binDir()
  const dir = mkdtempSync(join(tmpdir(), "so-cluster-"))
  const data = join(dir, "data")
  const log = join(dir, "server.log")
  const port = await freePort()
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString())
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString())
    chownSync(dir, uid, gid)
  }

  const pg = async (tool: string, args: Array<string>, timeoutMs = 30_000) => {
    const [command, argv] = asRoot
      ? ["runuser", ["-u", "postgres", "--", join(bin, tool), ...args]] as const
      : [join(bin, tool), args] as const
    const result = await run(command, [...argv], { LC_ALL: "C" }, timeoutMs)
    if (result.code !== 0) {
      const serverLog = existsSync(log) ? readFileSync(log, "utf8").slice(-2000) : ""
      throw new Error(`${tool} ${args.join(" ")} failed (${result.code ?? result.signal}): ${result.stderr}${result.stdout}\n${serverLog}`)
    }
  }

  // The watchdog: once this process is gone, thaw and kill the cluster and remove its files.
  const watchdog = spawn("sh", ["-c", `
    while kill -0 ${process.pid} 2>/dev/null; do sleep 0.5; done
    pm=$(head -n 1 "${data}/postmaster.pid" 2>/dev/null)
    if [ -n "$pm" ]; then
      kids=$(pgrep -P "$pm")
      kill -CONT "$pm" $kids 2>/dev/null
      kill -KILL $kids "$pm" 2>/dev/null
    fi
    rm -rf "${dir}"
  `], { detached: true, stdio: "ignore" })
  watchdog.unref()

  await pg("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"], 60_000)
  writeFileSync(
    join(data, "postgresql.auto.conf"),
    [
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${dir}'`,
      "fsync = off",
      "shared_buffers = '16MB'",
      "max_connections = 40"
    ].join("\n") + "\n"
  )

  const postmaster = () => {
    try {
      return Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0])
    } catch {
      return undefined
    }
  }
  let frozen: Array<number> = []

  const thaw = () => {
    const pm = postmaster()
    signal([...frozen, ...(pm === undefined ? [] : childrenOf(pm))], "SIGCONT")
    frozen = []
  }

  const start = () => pg("pg_ctl", ["-D", data, "-l", log, "-w", "-t", "30", "start"])
  const stop = async (mode: "fast" | "immediate" = "fast") => {
    thaw()
    await pg("pg_ctl", ["-D", data, "-m", mode, "-w", "-t", "30", "stop"])
  }

  return {
    port,
    url: (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`,
    start,
    stop,
    restart: async (mode) => {
      await stop(mode)
      await start()
    },
    freeze: () => {
      const pm = postmaster()
      if (pm === undefined) throw new Error("The cluster is not running")
      // The postmaster first, so that it forks no backend that would escape the freeze.
      signal([pm], "SIGSTOP")
      frozen = [pm, ...childrenOf(pm)]
      signal(frozen.slice(1), "SIGSTOP")
    },
    thaw,
    destroy: async () => {
      thaw()
      const pm = postmaster()
      if (pm !== undefined) {
        await pg("pg_ctl", ["-D", data, "-m", "immediate", "-w", "-t", "10", "stop"]).catch(() => {
          signal([...childrenOf(pm), pm], "SIGKILL")
        })
      }
      rmSync(dir, { recursive: true, force: true })
      signal(watchdog.pid === undefined ? [] : [watchdog.pid], "SIGKILL")
    }
  }
}
