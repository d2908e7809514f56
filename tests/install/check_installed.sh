#!/bin/sh
# Installs the build into a temporary prefix, compiles examples/hello.c the way a
# user would (the installed header and library, flags from pkg-config), runs it and
# checks what it prints. Catches a header that needs the source tree, a missing
# export, or a broken twill.pc.
#
# Usage: check_installed.sh BUILD_DIR HELLO_C [SANITIZE(ON|OFF)]
set -eu

build=${1:?usage: check_installed.sh BUILD_DIR HELLO_C [SANITIZE]}
hello_c=${2:?usage: check_installed.sh BUILD_DIR HELLO_C [SANITIZE]}
sanitize=${3:-OFF}
base=${TWILL_TEST_TMP:-${TMPDIR:-/tmp}}
mkdir -p "$base"
tmp=$(mktemp -d "$base/installed.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
prefix=$tmp/prefix

die() {
    echo "check_installed: $*" >&2
    exit 1
}

command -v pkg-config >/dev/null 2>&1 || die "pkg-config is not installed (apt-get install pkg-config)"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log" >&2; die "cmake --install failed"; }

# The library directory is lib or lib/<multiarch>, depending on the configuration.
pc=$(find "$prefix" -name twill.pc | head -n 1)
[ -n "$pc" ] || die "twill.pc was not installed under $prefix"
pcdir=$(dirname "$pc")
libdir=$(dirname "$pcdir")
[ -f "$prefix/include/twill/engine.h" ] || die "twill/engine.h was not installed"

# twill.pc names the configured prefix; this install went elsewhere, so say where.
flags=$(PKG_CONFIG_PATH=$pcdir pkg-config --define-variable=prefix="$prefix" --cflags --libs twill) ||
    die "pkg-config could not read $pc"
san=
# A sanitized libtwill needs the sanitizer runtime in the program as well.
[ "$sanitize" = ON ] && san="-fsanitize=address,undefined"
# shellcheck disable=SC2086 # the flags are meant to split into words
cc -std=c17 -Wall -Wextra -Werror -pedantic $san "$hello_c" -o "$tmp/hello" $flags ||
    die "examples/hello.c does not compile against the installed header ($flags)"

cd "$tmp"
run_hello() {
    LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} ./hello "file://$tmp/app.db" \
        >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/out" "$tmp/err" >&2; die "hello failed"; }
}

run_hello
cat >"$tmp/want" <<'OUT'
1  Hello from Twill DB
2  Parameters are bound to $1 and $2
3  A commit returns once it is durable
OUT
cmp -s "$tmp/want" "$tmp/out" || { diff -u "$tmp/want" "$tmp/out" >&2; die "unexpected output of the first run"; }

# A second run finds the committed notes and adds three more.
run_hello
[ "$(wc -l <"$tmp/out")" -eq 6 ] || { cat "$tmp/out" >&2; die "the second run should list 6 notes"; }
grep -qx '6  A commit returns once it is durable' "$tmp/out" || { cat "$tmp/out" >&2; die "note 6 missing"; }

# The program must have used the installed library, not one found elsewhere.
if command -v ldd >/dev/null 2>&1; then
    LD_LIBRARY_PATH=$libdir ldd ./hello | grep -q "$libdir/libtwill.so" ||
        die "hello did not resolve libtwill.so from $libdir"
fi
echo "check_installed: examples/hello.c builds and runs against the installed Twill DB"
