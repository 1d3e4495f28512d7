#!/bin/sh
# embed.sh NAME FILE - prints a C file defining `const char NAME[]` with FILE's text.
name=$1 file=$2
printf '/* generated from %s by tools/embed.sh; do not edit */\n' "$file"
printf 'extern const char %s[];\nconst char %s[] =\n""\n' "$name" "$name"
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$/\\n"/' "$file"
printf ';\n'
