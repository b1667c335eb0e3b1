#!/usr/bin/env bash
# npm start: the service from a build of the current sources in .start/ (bundled, with the review desk),
# rebuilt only when something it is built from changed, so a start loads three modules, not two thousand.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -f .start/build-stamp ] || [ -n "$(find src web package.json package-lock.json tsconfig.json -newer .start/build-stamp -print -quit)" ]; then
  npx --no-install tsx src/bin/build.ts .start
fi
exec node .start/main.js
