#!/bin/sh
# Run each benchmark program given (built by `make bench`), in order.
# Benchmarks print their own tables; this prints the machine they ran on.
set -eu
build=$1
shift
echo "bench: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
export BPCI_BUILD="$build"
status=0
for b in "$@"; do
	echo
	echo "== $(basename "$b")"
	"$b" || status=1
done
exit $status
