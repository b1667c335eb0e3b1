import { Layer } from "effect"
import { AppConfig } from "./Config.js"
import { DiscoveryWorker } from "./Discovery/Worker.js"
import { HttpLive, ServerLive } from "./Http.js"
import { Lifecycle } from "./Lifecycle.js"
import { LoggingLive } from "./Logging.js"
import { MessageWorker } from "./Messages/Worker.js"
import { DatabaseLive } from "./Sql/Migrator.js"
import { Retention } from "./Retention.js"
import { runMain } from "./Runtime.js"

Layer.mergeAll(HttpLive.pipe(Layer.provide(ServerLive)), DiscoveryWorker.Default, MessageWorker.Default, Retention.Default).pipe(
  Layer.provide(DatabaseLive),
  Layer.provide(Lifecycle.Default),
  Layer.provide(LoggingLive),
  Layer.provide(AppConfig.Default),
  Layer.launch,
  runMain
)
