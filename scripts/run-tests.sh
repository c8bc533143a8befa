#!/bin/sh
# Run every test against one build directory and print a summary line
# "N passed, N failed".
#   scripts/run-tests.sh BUILD full        unit + CLI tests, examples, fuzz
#                                          corpus replay, export and man checks
#   scripts/run-tests.sh BUILD sanitizers  the same under the ASan/UBSan build
#                                          (no export/man checks: same sources)
set -u
build=${1:-build}
mode=${2:-full}
passed=0
failed=0
failures=""

run() { # name, command...
	name=$1
	shift
	echo "== $name"
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures="$failures $name"
		echo "FAILED: $name"
	fi
}

export BPCI_BUILD="$build"
export CK_DEFAULT_TIMEOUT="${CK_DEFAULT_TIMEOUT:-60}"
if [ "$mode" = sanitizers ]; then
	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
	# Leaks in forked Check children are reported too: run without fork so
	# LeakSanitizer sees every test's allocations in one process.
	export CK_FORK=no
fi

for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	run "$(basename "$t")" "$t"
done

for f in "$build"/fuzz/*-replay; do
	[ -x "$f" ] || continue
	target=$(basename "$f" -replay)
	run "fuzz-corpus-$target" "$f" "fuzz/corpus/$target"
done

# Examples find bpci-node on PATH, as they would once installed.
PATH="$build/bin:$PATH"
export PATH
for e in "$build"/examples/*; do
	[ -x "$e" ] || continue
	run "example-$(basename "$e")" "$e"
done

if [ "$mode" = full ]; then
	run exports ./scripts/check-exports.sh "$build/lib/libbpci.so"
	run man-pages ./scripts/check-man.sh "$build/lib/libbpci.so"
	run install ./scripts/check-install.sh "$build"
fi

echo
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
