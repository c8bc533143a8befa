#!/bin/sh
# Build each libFuzzer target with clang and run it for FUZZ_SECONDS (default
# 60) on a copy of its seed corpus; new inputs stay in build-fuzz/corpus/.
#   scripts/fuzz.sh config [more targets...]
set -eu
seconds=${FUZZ_SECONDS:-60}
out=build-fuzz
mkdir -p "$out"
cflags="-g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Ilib -D_GNU_SOURCE $(pkg-config --cflags yaml-0.1 jansson)"
libs="$(pkg-config --libs yaml-0.1 jansson libcrypto libevent libcurl)"
for target in "$@"; do
	echo "fuzz: building $target"
	# shellcheck disable=SC2086
	clang $cflags -o "$out/$target" "fuzz/$target.c" lib/*/*.c $libs
	mkdir -p "$out/corpus/$target"
	cp -n fuzz/corpus/"$target"/* "$out/corpus/$target/" 2>/dev/null || true
	echo "fuzz: running $target for ${seconds}s"
	"./$out/$target" -max_total_time="$seconds" -max_len=65536 \
		"$out/corpus/$target" "fuzz/corpus/$target"
done
