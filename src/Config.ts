import { Config, ConfigError, ConfigProvider, Duration, Effect, Either, Layer, LogLevel, Option, Redacted } from "effect"
import { readFileSync } from "node:fs"

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

const nonNegativeInt = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.validate({ message: "Expected a whole number of 0 or more", validation: (n) => n >= 0 }),
    Config.withDefault(fallback)
  )

// At least a millisecond: PostgreSQL and pg read 0 as "no limit", which is never what a bound here means.
const positiveDuration = (name: string, fallback: Duration.Duration) =>
  Config.duration(name).pipe(
    Config.validate({ message: "Expected a duration of at least 1 millis", validation: (d) => Duration.toMillis(d) >= 1 }),
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

const urlValue = (name: string) =>
  Config.string(name).pipe(
    Config.validate({ message: "Expected an http(s) URL", validation: (value) => /^https?:\/\/[^\s/]+/.test(value) }),
    Config.map((value) => value.replace(/\/+$/, ""))
  )

const url = (name: string, fallback: string) => urlValue(name).pipe(Config.withDefault(fallback))

// "fosstodon.org=http://127.0.0.1:4001,example.social=https://proxy.internal/example" → host → base URL
const instanceUrls = (name: string) =>
  Config.string(name).pipe(
    Config.mapOrFail((value) => {
      const entries = value.split(",").map((entry) => entry.trim()).filter((entry) => entry.length > 0)
      const pairs = entries.map((entry) => entry.split("=", 2) as [string, string | undefined])
      const bad = pairs.find(([host, base]) => base === undefined || !/^https?:\/\//.test(base) || host.length === 0)
      return bad !== undefined
        ? Either.left(ConfigError.InvalidData([], `Expected host=url pairs separated by commas, got "${bad.join("=")}"`))
        : Either.right(new Map(pairs.map(([host, base]) => [host.toLowerCase(), base!.replace(/\/+$/, "")])))
    }),
    Config.withDefault(new Map<string, string>())
  )

/** Someone who may call the API, and the bearer token that says it is them. */
export interface TokenHolder {
  readonly name: string
  readonly token: Redacted.Redacted
}

/** The name every change made with `API_TOKEN` is recorded under, and the one recorded when no token is set. */
export const OperatorActor = "operator"
export const AnonymousActor = "anonymous"

const ActorName = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/

/**
 * `maria:token,joao:token`, or (a value without `:`) the path of a file with one `name:token` a line. An
 * error names the entry by its position, never by its content: a token must not reach a log.
 */
const tokenHolders = (name: string) =>
  Config.redacted(name).pipe(
    Config.mapOrFail((value): Either.Either<ReadonlyArray<TokenHolder>, ConfigError.ConfigError> => {
      const fail = (message: string) => Either.left(ConfigError.InvalidData([name], message))
      let text = Redacted.value(value).trim()
      let where = "entry"
      if (text.length === 0) return fail("Expected name:token pairs separated by commas")
      if (!text.includes(":")) {
        try {
          text = readFileSync(text, "utf8")
          where = "line"
        } catch (error) {
          // Not echoed: a lone token without its name would look like a path here.
          return fail("Expected name:token pairs separated by commas, or the path of a file of them; the value has no \":\" " +
            `and is no readable file (${(error as NodeJS.ErrnoException).code ?? "unreadable"})`)
        }
      }
      const entries = where === "line"
        ? text.split(/\r?\n/).map((line, i) => [i + 1, line.trim()] as const).filter(([, line]) => line.length > 0 && !line.startsWith("#"))
        : text.split(",").map((entry, i) => [i + 1, entry.trim()] as const)
      const holders: Array<TokenHolder> = []
      for (const [position, entry] of entries) {
        const colon = entry.indexOf(":")
        const holder = entry.slice(0, colon)
        const token = entry.slice(colon + 1).trim()
        if (colon < 1 || !ActorName.test(holder) || token.length === 0) {
          return fail(`${where} ${position} is not name:token (a name of letters, digits, ".", "_", "@" or "-", then a non-empty token)`)
        }
        if (holder === OperatorActor || holder === AnonymousActor) {
          return fail(`${where} ${position}: the name "${holder}" is reserved (${OperatorActor} is API_TOKEN's holder, ${AnonymousActor} means no token)`)
        }
        if (holders.some((h) => h.name === holder)) return fail(`${where} ${position}: the name "${holder}" is given twice`)
        if (holders.some((h) => Redacted.value(h.token) === token)) return fail(`${where} ${position} repeats the token of an earlier entry`)
        holders.push({ name: holder, token: Redacted.make(token) })
      }
      return holders.length === 0 ? fail("Expected at least one name:token pair") : Either.right(holders)
    }),
    Config.withDefault<ReadonlyArray<TokenHolder>>([])
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

const isLoopback = (host: string) => /^(127(\.\d{1,3}){3}|::1|localhost)$/i.test(host)

const settings = Config.all({
  port: port("PORT", 3000),
  host: Config.option(Config.string("HOST")),
  allowOpenApi: Config.boolean("ALLOW_OPEN_API").pipe(Config.withDefault(false)),
  databaseUrl: nonEmptyRedacted("DATABASE_URL"),
  databasePoolMax: positiveInt("DATABASE_POOL_MAX", 10),
  databaseConnectTimeout: positiveDuration("DATABASE_CONNECT_TIMEOUT", Duration.seconds(5)),
  databaseStatementTimeout: positiveDuration("DATABASE_STATEMENT_TIMEOUT", Duration.seconds(5)),
  databaseConnectRetries: nonNegativeInt("DATABASE_CONNECT_RETRIES", 5),
  pgliteDataDir: Config.string("PGLITE_DATA_DIR").pipe(Config.withDefault("./data/pglite")),
  apiToken: nonEmptyRedacted("API_TOKEN"),
  apiTokens: tokenHolders("API_TOKENS"),
  suppressionKey: Config.option(
    Config.nested(
      Config.redacted().pipe(
        Config.validate({ message: "Expected at least 16 characters", validation: (r) => Redacted.value(r).length >= 16 })
      ),
      "SUPPRESSION_KEY"
    )
  ),
  rawRetention: positiveDuration("RAW_RETENTION", Duration.days(90)),
  migrateOnStart: Config.boolean("MIGRATE_ON_START").pipe(Config.withDefault(true)),
  migrationLockTimeout: Config.duration("MIGRATION_LOCK_TIMEOUT").pipe(Config.withDefault(Duration.seconds(60))),
  maxBodyBytes: positiveInt("MAX_BODY_BYTES", 1024 * 1024),
  maxImportBytes: positiveInt("MAX_IMPORT_BYTES", 16 * 1024 * 1024),
  shutdownGrace: positiveDuration("SHUTDOWN_GRACE", Duration.seconds(10)),
  http: Config.all({
    headersTimeout: positiveDuration("HTTP_HEADERS_TIMEOUT", Duration.seconds(10)),
    requestTimeout: positiveDuration("HTTP_REQUEST_TIMEOUT", Duration.seconds(30)),
    keepAliveTimeout: positiveDuration("HTTP_KEEP_ALIVE_TIMEOUT", Duration.seconds(5)),
    maxConnections: positiveInt("MAX_CONNECTIONS", 1000)
  }).pipe(
    // Node refuses a header timeout longer than the whole request's.
    Config.validate({
      message: "HTTP_HEADERS_TIMEOUT must not be longer than HTTP_REQUEST_TIMEOUT",
      validation: (http) => Duration.lessThanOrEqualTo(http.headersTimeout, http.requestTimeout)
    })
  ),
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
  logFormat: Config.literal("pretty", "json")("LOG_FORMAT").pipe(Config.withDefault("pretty" as const)),
  discovery: Config.all({
    workers: nonNegativeInt("DISCOVERY_WORKERS", 2),
    pollInterval: Config.duration("DISCOVERY_POLL_INTERVAL").pipe(Config.withDefault(Duration.seconds(1))),
    lease: Config.duration("DISCOVERY_LEASE").pipe(Config.withDefault(Duration.seconds(30))),
    maxAttempts: positiveInt("DISCOVERY_MAX_ATTEMPTS", 5),
    retryBase: Config.duration("DISCOVERY_RETRY_BASE").pipe(Config.withDefault(Duration.seconds(5))),
    requestTimeout: Config.duration("PROVIDER_REQUEST_TIMEOUT").pipe(Config.withDefault(Duration.seconds(15))),
    blueskyUrl: url("BLUESKY_APPVIEW_URL", "https://public.api.bsky.app"),
    githubUrl: url("GITHUB_API_URL", "https://api.github.com"),
    githubToken: nonEmptyRedacted("GITHUB_TOKEN"),
    mastodonDefaultInstance: Config.string("MASTODON_DEFAULT_INSTANCE").pipe(Config.withDefault("mastodon.social")),
    mastodonToken: nonEmptyRedacted("MASTODON_ACCESS_TOKEN"),
    mastodonInstanceUrls: instanceUrls("MASTODON_INSTANCE_URLS")
  }),
  sending: Config.all({
    workers: nonNegativeInt("SENDER_WORKERS", 1),
    pollInterval: Config.duration("SENDER_POLL_INTERVAL").pipe(Config.withDefault(Duration.seconds(2))),
    lease: Config.duration("SENDER_LEASE").pipe(Config.withDefault(Duration.seconds(60))),
    maxAttempts: positiveInt("SEND_MAX_ATTEMPTS", 5),
    retryBase: Config.duration("SEND_RETRY_BASE").pipe(Config.withDefault(Duration.seconds(30))),
    minSpacing: Config.duration("SEND_MIN_SPACING").pipe(Config.withDefault(Duration.seconds(90))),
    spacingJitter: Config.duration("SEND_SPACING_JITTER").pipe(Config.withDefault(Duration.seconds(60))),
    dailyCaps: Config.all({
      bluesky_dm: positiveInt("SEND_CAP_BLUESKY_DM", 20),
      mastodon_dm: positiveInt("SEND_CAP_MASTODON_DM", 20),
      webhook: positiveInt("SEND_CAP_WEBHOOK", 200)
    }),
    requestTimeout: Config.duration("SEND_REQUEST_TIMEOUT").pipe(Config.withDefault(Duration.seconds(20))),
    replyCheckInterval: Config.duration("REPLY_CHECK_INTERVAL").pipe(Config.withDefault(Duration.minutes(5))),
    blueskyPdsUrl: url("BLUESKY_PDS_URL", "https://bsky.social"),
    blueskyIdentifier: Config.option(Config.string("BLUESKY_IDENTIFIER")),
    blueskyAppPassword: nonEmptyRedacted("BLUESKY_APP_PASSWORD"),
    webhookUrl: Config.option(urlValue("WEBHOOK_URL")),
    webhookSecret: Config.option(
      Config.nested(
        Config.redacted().pipe(Config.validate({
          message: "Expected a Standard Webhooks secret: whsec_ followed by base64",
          validation: (secret) => /^whsec_[A-Za-z0-9+/]+={0,2}$/.test(Redacted.value(secret))
        })),
        "WEBHOOK_SECRET"
      )
    )
  })
}).pipe(
  // Without a token the API is open: it listens on loopback unless the operator says otherwise.
  Config.mapOrFail(({ allowOpenApi, apiTokens, host, ...rest }) => {
    const tokenHolders: ReadonlyArray<TokenHolder> = [
      ...Option.toArray(Option.map(rest.apiToken, (token) => ({ name: OperatorActor, token }))),
      ...apiTokens
    ]
    const open = tokenHolders.length === 0
    const bind = Option.getOrElse(host, () => (open ? "127.0.0.1" : "0.0.0.0"))
    if (new Set(tokenHolders.map((h) => Redacted.value(h.token))).size < tokenHolders.length) {
      return Either.left(ConfigError.InvalidData(["API_TOKENS"], "An entry repeats the token of API_TOKEN: give each person their own"))
    }
    return open && !isLoopback(bind) && !allowOpenApi
      ? Either.left(ConfigError.InvalidData(["HOST"], `HOST=${bind} would open the API to the network without a token. ` +
        "Set API_TOKEN or API_TOKENS, or ALLOW_OPEN_API=true to do it on purpose"))
      : Either.right({ ...rest, tokenHolders, host: bind, openApi: open })
  })
)

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
