#!/bin/bash
# keys_doc.sh - the man page's KEYS section is what the console's table of actions
# says (tools/keys-doc.sh regenerates it: make keys-doc), and `sitrep keys` shows a
# [bind] from the config.
set -u
. "$(dirname "$0")/lib.bash"

cp docs/sitrep.1 "$tmp/sitrep.1"
sh tools/keys-doc.sh "$SITREP" "$tmp/sitrep.1" || fail "tools/keys-doc.sh failed"
diff -u docs/sitrep.1 "$tmp/sitrep.1" >"$tmp/diff" ||
	fail "docs/sitrep.1's KEYS section is not the console's table: run make keys-doc$(printf '\n%s' "$(head -20 "$tmp/diff")")"
grep -q '^\.B j Down$' docs/sitrep.1 || fail "the KEYS section lacks move-down's keys"

printf '[bind "generic"]\n\tmove-down = x j Down\n' >"$tmp/config"
"$SITREP" --config "$tmp/config" keys >"$tmp/keys" || fail "sitrep keys failed"
grep -qE '^  j Down x +move-down +Next line$' "$tmp/keys" || fail "the rebound key: $(grep move-down "$tmp/keys")"
grep -qE '^  \? F1 +help ' "$tmp/keys" || fail "help's keys: $(grep ' help ' "$tmp/keys")"
printf '[bind "generic"]\n\tno-such-action = z\n' >"$tmp/config"
"$SITREP" --config "$tmp/config" keys >/dev/null 2>"$tmp/err"
grep -q 'no action "no-such-action"' "$tmp/err" || fail "an unknown action is not reported: $(cat "$tmp/err")"

finish keys_doc
