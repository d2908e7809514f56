#!/usr/bin/env bash
# libtwill.so must export the public C ABI (twill_*) and nothing else: the parser's
# ~370 unprefixed symbols (palloc, equal, ...) are localized so they cannot collide
# with an application's own.
set -euo pipefail
lib=${1:?usage: test_exports.sh path/to/libtwill.so}
all=$(nm -D --defined-only "$lib" | awk '{print $3}')
n=$(printf '%s\n' "$all" | grep -c '^twill_' || true)
bad=$(printf '%s\n' "$all" | grep -v '^twill_' || true)
if [ -n "$bad" ]; then
    echo "exported symbols outside the twill_ namespace:"
    printf '%s\n' "$bad" | head -20
    echo "0 passed, 1 failed"
    exit 1
fi
for sym in twill_open twill_prepare twill_step twill_abi_version; do
    if ! printf '%s\n' "$all" | grep -qx "$sym"; then
        echo "missing export: $sym"
        echo "0 passed, 1 failed"
        exit 1
    fi
done
echo "libtwill.so exports $n symbols, all twill_*"
echo "1 passed, 0 failed"
