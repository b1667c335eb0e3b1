import { Effect, Layer, Logger } from "effect"
import { AppConfig } from "./Config.js"

/** One logger for the whole process: JSON lines for log shippers, or pretty for people; `LOG_LEVEL` as the floor. */
export const LoggingLive = Layer.unwrapEffect(
  Effect.map(AppConfig, (config) =>
    Layer.merge(
      config.logFormat === "json" ? Logger.json : Logger.pretty,
      Logger.minimumLogLevel(config.logLevel)
    ))
)
