import { Config, Effect, Layer, Logger } from "effect"
import { AppConfig } from "./Config.js"

/** One logger for the whole process: JSON lines for log shippers, or pretty for people; `LOG_LEVEL` as the floor. */
export const LoggingLive = Layer.unwrapEffect(
  Effect.map(AppConfig, (config) =>
    Layer.merge(
      config.logFormat === "json" ? Logger.json : Logger.pretty,
      Logger.minimumLogLevel(config.logLevel)
    ))
)

/**
 * The format alone, read leniently: for the lines written when startup itself fails (a bad setting among
 * them), so even those follow `LOG_FORMAT`.
 */
export const StartupLogging = Layer.unwrapEffect(
  Config.string("LOG_FORMAT").pipe(
    Config.withDefault("pretty"),
    Effect.orElseSucceed(() => "pretty"),
    Effect.map((format) => (format === "json" ? Logger.json : Logger.pretty))
  )
)
