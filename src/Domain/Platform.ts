import { Schema } from "effect"

export const Platform = Schema.Literal("bluesky", "mastodon", "github", "linkedin")
export type Platform = typeof Platform.Type
