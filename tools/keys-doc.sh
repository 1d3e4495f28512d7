#!/bin/sh
# keys-doc.sh SITREP [MANPAGE] - rewrites the KEYS section of the man page (between
# its "keys begin" and "keys end" comment lines) with `sitrep keys --format man`, the
# actions and default keys of the console's one table. make keys-doc runs it;
# tests/integration/keys_doc.sh fails when the page and the table differ.
set -eu
sitrep=$1
page=${2:-docs/sitrep.1}
tmp=$(mktemp)
trap 'rm -rf "$tmp" "$tmp.keys" "$tmp.d"' EXIT
mkdir "$tmp.d"
env -u SITREP_CONFIG XDG_CONFIG_HOME="$tmp.d" "$sitrep" keys --format man >"$tmp.keys"
awk -v keys="$tmp.keys" '
	/^\.\\" keys begin/ { print; while ((getline line < keys) > 0) print line; skip = 1; next }
	/^\.\\" keys end/ { skip = 0 }
	!skip { print }
' "$page" >"$tmp"
grep -q '^\.\\" keys end' "$tmp" || { echo "keys-doc: no keys begin/end lines in $page" >&2; exit 1; }
cat "$tmp" >"$page"
