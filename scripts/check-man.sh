#!/bin/sh
# Fail when an exported function has no man page (a page or a .so link named
# after it in man/man3), or a page does not render.
set -eu
lib=${1:-build/lib/libbpci.so}
missing=""
for fn in $(nm -D --defined-only "$lib" | awk '$2 == "T" {sub(/@.*/, "", $3); print $3}' | sort); do
	[ -f "man/man3/$fn.3" ] || missing="$missing $fn"
done
if [ -n "$missing" ]; then
	echo "man: exported functions without a page in man/man3:$missing" >&2
	exit 1
fi
status=0
for page in man/man1/*.1 man/man3/*.3; do
	[ -f "$page" ] || continue
	if head -n 1 "$page" | grep -q '^\.so '; then
		target=$(head -n 1 "$page" | sed 's/^\.so //')
		[ -f "man/$target" ] || { echo "man: $page links to missing $target" >&2; status=1; }
		continue
	fi
	if ! out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null) ||
		[ -n "$out" ]; then
		echo "man: $page: $out" >&2
		status=1
	fi
done
[ $status -eq 0 ] && echo "man: every exported function has a page; pages render cleanly"
exit $status
