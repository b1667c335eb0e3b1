import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, LogLevel, Option, Redacted } from "effect"
import { AppConfig } from "../src/Config.js"

const load = (values: Record<string, string>) =>
  Effect.scoped(Layer.build(AppConfig.fromMap(values))).pipe(Effect.map((context) => context.unsafeMap.get(AppConfig.key) as AppConfig))

describe("AppConfig", () => {
  it.effect("defaults suit a first run and Render", () =>
    Effect.gen(function*() {
      const config = yield* load({})
      expect(config.port).toBe(3000)
      expect(config.host).toBe("0.0.0.0")
      expect(Option.isNone(config.databaseUrl)).toBe(true)
      expect(Option.isNone(config.apiToken)).toBe(true)
      expect(config.migrateOnStart).toBe(true)
      expect(config.databasePoolMax).toBe(10)
      expect(config.logLevel).toBe(LogLevel.Info)
      expect(config.logFormat).toBe("pretty")
      expect(config.pgliteDataDir).toBe("./data/pglite")
      expect(Duration.toMillis(config.migrationLockTimeout)).toBe(60_000)
      expect(Duration.toMillis(config.databaseStatementTimeout)).toBe(5_000)
      expect(Duration.toMillis(config.databaseConnectTimeout)).toBe(5_000)
    }))

  it.effect("reads every variable", () =>
    Effect.gen(function*() {
      const config = yield* load({
        PORT: "10000",
        HOST: "127.0.0.1",
        DATABASE_URL: "postgres://u:p@db:5432/app?sslmode=require",
        DATABASE_POOL_MAX: "4",
        DATABASE_STATEMENT_TIMEOUT: "2500 millis",
        API_TOKEN: "s3cret-token",
        MIGRATE_ON_START: "false",
        LOG_LEVEL: "DEBUG",
        LOG_FORMAT: "json"
      })
      expect(config.port).toBe(10000)
      expect(config.databasePoolMax).toBe(4)
      expect(Duration.toMillis(config.databaseStatementTimeout)).toBe(2_500)
      expect(config.migrateOnStart).toBe(false)
      expect(config.logLevel).toBe(LogLevel.Debug)
      expect(config.logFormat).toBe("json")
      expect(Redacted.value(Option.getOrThrow(config.apiToken))).toBe("s3cret-token")
      expect(String(Option.getOrThrow(config.apiToken))).not.toContain("s3cret")
      expect(JSON.stringify(config)).not.toContain("s3cret")
      expect(JSON.stringify(config)).not.toContain("u:p@")
    }))

  for (
    const [name, value] of [
      ["PORT", "abc"],
      ["PORT", "70000"],
      ["DATABASE_POOL_MAX", "0"],
      ["MIGRATE_ON_START", "maybe"],
      ["LOG_LEVEL", "loud"],
      ["LOG_FORMAT", "xml"],
      ["MIGRATION_LOCK_TIMEOUT", "soon"],
      ["DATABASE_STATEMENT_TIMEOUT", "0 seconds"],
      ["DATABASE_CONNECT_TIMEOUT", "0 millis"],
      ["API_TOKEN", ""]
    ] as const
  ) {
    it.effect(`a bad ${name} fails startup with a message naming it`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(load({ [name]: value }))
        expect(String(error)).toContain(name)
      }))
  }
})
