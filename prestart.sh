#!/usr/bin/env bash
# Migrates the database before a deploy goes live (Render: preDeployCommand). A failure fails the deploy.
set -euo pipefail
cd "$(dirname "$0")"

# The compiled command when a build exists and no source is newer than it (a stale build could miss migrations).
if [ -f dist/bin/migrate.js ] && [ -z "$(find src -newer dist/bin/migrate.js -print -quit)" ]; then
  migrate=(node dist/bin/migrate.js)
else
  migrate=(npx --no-install tsx src/bin/migrate.ts)
fi

echo "prestart: applying database migrations ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
if "${migrate[@]}"; then
  echo "prestart: migrations done"
else
  status=$?
  echo "prestart: migrations FAILED (exit $status); the deploy must not go live" >&2
  exit "$status"
fi
