#!/usr/bin/env bash
# npm start: the service from a build of the current sources in .start/ (bundled, with the review desk),
# rebuilt only when something it is built from changed, so a start loads three modules, not two thousand.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -f .start/build-inputs.json ] || [ -n "$(find src web package-lock.json -newer .start/build-inputs.json -print -quit)" ]; then
  npx --no-install tsx src/bin/build.ts .start
fi
exec node .start/main.js
