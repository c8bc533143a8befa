#!/bin/sh
# Install the Debian packages that building and testing libbpci needs.
# Idempotent: installs only what is missing and says what it installs.
# Run as root (CI is); otherwise it prints the apt-get line to run.
set -eu

PACKAGES="build-essential pkg-config libyaml-dev libjansson-dev libssl-dev
libcurl4-openssl-dev libevent-dev check libsubunit-dev clang
libclang-rt-14-dev man-db groff-base"

# `deps.sh --bench` adds what the benchmarks compare against (supervisord).
if [ "${1:-}" = "--bench" ]; then
	PACKAGES="$PACKAGES supervisor"
fi

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "deps: all build and test packages are installed"
	exit 0
fi

echo "deps: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: not root; run: sudo apt-get install -y$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
echo "deps: done"
