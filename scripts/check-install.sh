#!/bin/sh
# Install into a temporary DESTDIR and build a program outside the tree with
# `cc prog.c $(pkg-config --cflags --libs bpci)`, then run it.
set -eu
build=${1:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make -s install BUILD="$build" DESTDIR="$tmp/root" PREFIX=/usr/local >/dev/null
prefix="$tmp/root/usr/local"
sed -i "s|^prefix=.*|prefix=$prefix|; s|^libdir=.*|libdir=$prefix/lib|" \
	"$prefix/lib/pkgconfig/bpci.pc"
cat > "$tmp/prog.c" <<'C'
#include <bpci.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
	bpci_node_type t;
	if (strcmp(bpci_version(), BPCI_VERSION) != 0)
		return 1;
	if (bpci_node_type_parse(&t, "storage") != 0 || t != BPCI_NODE_STORAGE)
		return 1;
	printf("installed libbpci %s works\n", bpci_version());
	return 0;
}
C
PKG_CONFIG_PATH="$prefix/lib/pkgconfig" cc -Wall -Werror -o "$tmp/prog" "$tmp/prog.c" \
	$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs bpci)
LD_LIBRARY_PATH="$prefix/lib" "$tmp/prog"
for p in bpi-core bpci-enterprise; do
	LD_LIBRARY_PATH="$prefix/lib" "$prefix/bin/$p" --version >/dev/null
done
MANPATH="$prefix/share/man" man -w bpci_node_spec_new >/dev/null
echo "install: headers, libraries, bpci.pc, programs and man pages work from DESTDIR"
