#!/bin/sh
# (Re)create man/man3/<function>.3 links (".so man3/<module>.3") for every
# function a module page names in its NAME section (".SH NAME" followed by
# "bpci_a, bpci_b \- ...").
set -eu
cd "$(dirname "$0")/.."
for page in man/man3/*.3; do
	head -n 1 "$page" | grep -q '^\.so ' && continue
	names=$(awk '/^\.SH NAME/{getline; print; exit}' "$page" | sed 's/\\-.*//; s/,/ /g')
	base=$(basename "$page")
	for fn in $names; do
		[ "$fn.3" = "$base" ] && continue
		printf '.so man3/%s\n' "$base" > "man/man3/$fn.3"
	done
done
