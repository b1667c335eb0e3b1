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
      // No token: the open API listens on this machine only.
      expect(config.host).toBe("127.0.0.1")
      expect(config.openApi).toBe(true)
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

  it.effect("without a token a public HOST needs ALLOW_OPEN_API; with a token HOST defaults to every interface", () =>
    Effect.gen(function*() {
      const refused = yield* Effect.flip(load({ HOST: "0.0.0.0" }))
      expect(String(refused)).toContain("HOST")
      expect(String(refused)).toContain("ALLOW_OPEN_API")
      expect((yield* load({ HOST: "0.0.0.0", ALLOW_OPEN_API: "true" })).host).toBe("0.0.0.0")
      expect((yield* load({ HOST: "::1" })).host).toBe("::1")
      const withToken = yield* load({ API_TOKEN: "s3cret-token" })
      expect(withToken.host).toBe("0.0.0.0")
      expect(withToken.openApi).toBe(false)
      expect((yield* load({ API_TOKEN: "s3cret-token", HOST: "10.0.0.5" })).host).toBe("10.0.0.5")
    }))

  it.effect("a header timeout longer than the request timeout fails startup naming it", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(load({ HTTP_HEADERS_TIMEOUT: "40 seconds", HTTP_REQUEST_TIMEOUT: "30 seconds" }))
      expect(String(error)).toContain("HTTP_HEADERS_TIMEOUT")
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
      ["API_TOKEN", ""],
      ["API_TOKENS", "maria"],
      ["SUPPRESSION_KEY", "too-short"],
      ["RAW_RETENTION", "0 days"],
      ["SHUTDOWN_GRACE", "later"],
      ["SHUTDOWN_GRACE", "0 seconds"],
      ["HTTP_KEEP_ALIVE_TIMEOUT", "0 seconds"],
      ["MAX_CONNECTIONS", "0"],
      ["HTTP_HEADERS_TIMEOUT", "x"]
    ] as const
  ) {
    it.effect(`a bad ${name} fails startup with a message naming it`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(load({ [name]: value }))
        expect(String(error)).toContain(name)
      }))
  }
})
