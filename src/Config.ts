import { Config, ConfigError, ConfigProvider, Duration, Effect, Either, Layer, LogLevel, Redacted } from "effect"

const port = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.validate({ message: "Expected a port number between 0 and 65535", validation: (n) => n >= 0 && n <= 65535 }),
    Config.withDefault(fallback)
  )

const positiveInt = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.validate({ message: "Expected a whole number greater than 0", validation: (n) => n > 0 }),
    Config.withDefault(fallback)
  )

const nonEmptyRedacted = (name: string) =>
  Config.option(
    Config.nested(
      Config.redacted().pipe(
        Config.validate({ message: "Expected a non-empty value", validation: (r) => Redacted.value(r).length > 0 })
      ),
      name
    )
  )

const logLevels: Record<string, LogLevel.LogLevel> = {
  trace: LogLevel.Trace,
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warn: LogLevel.Warning,
  warning: LogLevel.Warning,
  error: LogLevel.Error,
  fatal: LogLevel.Fatal,
  none: LogLevel.None
}

const settings = Config.all({
  port: port("PORT", 3000),
  host: Config.string("HOST").pipe(Config.withDefault("0.0.0.0")),
  databaseUrl: nonEmptyRedacted("DATABASE_URL"),
  databasePoolMax: positiveInt("DATABASE_POOL_MAX", 10),
  databaseConnectTimeout: Config.duration("DATABASE_CONNECT_TIMEOUT").pipe(Config.withDefault(Duration.seconds(5))),
  databaseConnectRetries: Config.integer("DATABASE_CONNECT_RETRIES").pipe(
    Config.validate({ message: "Expected a whole number of 0 or more", validation: (n) => n >= 0 }),
    Config.withDefault(5)
  ),
  pgliteDataDir: Config.string("PGLITE_DATA_DIR").pipe(Config.withDefault("./data/pglite")),
  apiToken: nonEmptyRedacted("API_TOKEN"),
  migrateOnStart: Config.boolean("MIGRATE_ON_START").pipe(Config.withDefault(true)),
  migrationLockTimeout: Config.duration("MIGRATION_LOCK_TIMEOUT").pipe(Config.withDefault(Duration.seconds(60))),
  maxBodyBytes: positiveInt("MAX_BODY_BYTES", 64 * 1024),
  retryAfterSeconds: positiveInt("RETRY_AFTER_SECONDS", 5),
  logLevel: Config.string("LOG_LEVEL").pipe(
    Config.mapOrFail((value) => {
      const level = logLevels[value.toLowerCase()]
      return level !== undefined
        ? Either.right(level)
        : Either.left(ConfigError.InvalidData([], `Expected one of ${Object.keys(logLevels).join(", ")}, got "${value}"`))
    }),
    Config.withDefault(LogLevel.Info)
  ),
  logFormat: Config.literal("pretty", "json")("LOG_FORMAT").pipe(Config.withDefault("pretty" as const))
})

/** Every setting of the service, read from the environment and validated once at startup. */
export class AppConfig extends Effect.Service<AppConfig>()("AppConfig", { effect: settings }) {
  /** The same settings read from a map instead of the environment (tests, tools); unset keys take their defaults. */
  static readonly fromMap = (values: Record<string, string>) =>
    Layer.effect(
      AppConfig,
      settings.pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(values)))),
        Effect.map((config) => new AppConfig(config))
      )
    )
}
