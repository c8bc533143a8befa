#!/bin/sh
# Install the Debian packages that building and testing libbpci needs.
# Idempotent: installs only what is missing and says what it installs.
# Run as root (CI is); otherwise it prints the apt-get line to run.
set -eu

PACKAGES="build-essential pkg-config libyaml-dev libjansson-dev libssl-dev
libcurl4-openssl-dev libevent-dev check libsubunit-dev clang
libclang-rt-14-dev man-db groff-base prometheus"

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
# Packages such as prometheus (wanted only for promtool) would start their
# service on install; keep apt from starting services while we install.
policy=/usr/sbin/policy-rc.d
made_policy=""
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy"
	chmod 0755 "$policy"
	made_policy=1
fi
status=0
apt-get install -y -qq --no-install-recommends $missing || status=$?
[ -n "$made_policy" ] && rm -f "$policy"
[ $status -eq 0 ] || exit $status
echo "deps: done"
