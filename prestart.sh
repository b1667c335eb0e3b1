#!/usr/bin/env bash
# Migrates the database before a deploy goes live (Render: preDeployCommand). A failure fails the deploy.
set -euo pipefail
cd "$(dirname "$0")"

if [ -f dist/bin/migrate.js ]; then
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
