import { pgAppLayer } from "./support/App.js"
import { httpSuite } from "./support/HttpSuite.js"

httpSuite("HTTP API on PostgreSQL", pgAppLayer())
