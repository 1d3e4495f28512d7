#!/bin/sh
# demo.sh - what `make demo` shows until the console lands: the analytics commands
# on the metrics reference dataset, in a throwaway cache.
set -eu
SITREP=${SITREP:-./sitrep}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
window="--from 2025-03-01T00:00:00Z --to 2025-03-31T00:00:00Z"
"$SITREP" --db "$dir/demo.db" import tests/fixtures/reference.json
echo
echo '$ sitrep mttx' "$window"
"$SITREP" --db "$dir/demo.db" mttx $window
echo
echo '$ sitrep dora' "$window"
"$SITREP" --db "$dir/demo.db" dora $window
echo
echo '$ sitrep slo --at 2025-03-31T00:00:00Z'
"$SITREP" --db "$dir/demo.db" slo $window
