#!/bin/sh
# Fail when the shared library exports a symbol outside the public bpci_
# namespace (internal bpci__ names included).
set -eu
lib=${1:-build/lib/libbpci.so}
bad=$(nm -D --defined-only "$lib" | awk '$2 ~ /[A-Z]/ && $3 != "" {print $3}' |
	grep -v '^LIBBPCI_' | grep -Ev '^bpci_[a-z0-9]' | grep -v '^bpci__' || true)
internal=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep '^bpci__' || true)
if [ -n "$bad$internal" ]; then
	echo "exports: $lib exports names outside bpci_*:" $bad $internal >&2
	exit 1
fi
echo "exports: $(nm -D --defined-only "$lib" | grep -c ' T bpci_') functions, all bpci_*"
