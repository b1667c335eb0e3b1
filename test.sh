#!/usr/bin/env bash
# npm test: the type check (the service, then the page in web/) and the tests side by side. The tests spend
# much of their time waiting on timers, processes and PostgreSQL, so the check costs the run little.
set -uo pipefail
cd "$(dirname "$0")"

npm run --silent typecheck &
typecheck=$!
trap 'kill "$typecheck" 2>/dev/null' INT TERM
npx vitest run "$@"
tests=$?
wait "$typecheck"
types=$?
[ "$types" -eq 0 ] || echo "npm test: the type check failed (exit $types)" >&2
exit $(( tests != 0 ? tests : types ))
