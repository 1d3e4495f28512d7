#!/bin/sh
# embed.sh NAME FILE - prints a C file defining `const char NAME[]` holding FILE's
# bytes and a NUL. Written as a byte list: C11 only promises string literals of 4095.
name=$1 file=$2
printf '/* generated from %s by tools/embed.sh; do not edit */\n' "$file"
printf 'extern const char %s[];\nconst char %s[] = {\n' "$name" "$name"
od -An -v -tx1 "$file" | sed -e 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g' -e 's/^/\t/'
printf '\t0x00\n};\n'
