#!/bin/sh
# End-to-end test of the twill shell: runs the built binary against a fresh database
# and compares its output and exit codes with what psql would print. SQL arrives
# through arguments, a file, stdin, and (when script(1) is available) a terminal.
#
# Usage: test_shell.sh PATH-TO-twill
set -u

TWILL=${1:?usage: test_shell.sh PATH-TO-twill}
base=${TWILL_TEST_TMP:-${TMPDIR:-/tmp}}
mkdir -p "$base" || exit 1
tmp=$(mktemp -d "$base/shell.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
db="file://$tmp/db"
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# A hung statement fails its own check instead of the whole test's ctest timeout.
limit=
command -v timeout >/dev/null 2>&1 && limit="timeout 60"

# run NAME EXPECTED_RC CMD... : runs CMD with stdout in $tmp/out and stderr in
# $tmp/err and checks the exit code.
run() {
    name=$1 want=$2
    shift 2
    $limit "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ "$rc" -eq 124 ] && [ -n "$limit" ] && echo "  ($name: killed after 60 s)" >>"$tmp/err"
    if [ "$rc" -ne "$want" ]; then
        fail "$name: exit code $rc, expected $want"
        sed 's/^/  stdout: /' "$tmp/out" >&2
        sed 's/^/  stderr: /' "$tmp/err" >&2
    fi
}

# expect_out NAME : compares $tmp/out with the expected text on stdin.
expect_out() {
    cat >"$tmp/want"
    if ! cmp -s "$tmp/want" "$tmp/out"; then
        fail "$1: unexpected output"
        diff -u "$tmp/want" "$tmp/out" | sed 's/^/  /' >&2
        sed 's/^/  stderr: /' "$tmp/err" >&2
    fi
}

# expect_grep NAME FILE PATTERN : FILE must contain the fixed string PATTERN.
expect_grep() {
    if ! grep -qF -- "$3" "$2"; then
        fail "$1: \"$3\" not found in $(basename "$2")"
        sed 's/^/  | /' "$2" >&2
    fi
}

# --- usage -------------------------------------------------------------------------
run help 0 "$TWILL" --help
expect_grep help "$tmp/out" "Usage:"
run version 0 "$TWILL" --version
expect_grep version "$tmp/out" "twill "
run no-url 2 "$TWILL" </dev/null
expect_grep no-url "$tmp/err" "no database URL"
run not-a-url 2 "$TWILL" "$tmp/db" "SELECT 1"
expect_grep not-a-url "$tmp/err" "is not a database URL"
run bad-option 2 "$TWILL" --on-error=maybe "$db" "SELECT 1"

# --- SQL from arguments: several statements per argument, tags, aligned output -----
run args-ddl 0 "$TWILL" "$db" \
    "CREATE TABLE t(id BIGINT PRIMARY KEY, name TEXT);
     INSERT INTO t VALUES (1, 'one'), (2, NULL)" \
    "INSERT INTO t VALUES (3, 'three; with semicolon')"
expect_out args-ddl <<'EOF'
CREATE TABLE
INSERT 0 2
INSERT 0 1
EOF

run args-select 0 "$TWILL" "$db" "SELECT id, name FROM t ORDER BY id"
expect_out args-select <<'EOF'
 id |         name          
----+-----------------------
  1 | one
  2 | 
  3 | three; with semicolon
(3 rows)

EOF

# --- SQL from a file: multi-line statements, comments, a last statement without ';'
cat >"$tmp/script.sql" <<'EOF'
-- a comment; with a semicolon
UPDATE t
   SET name = 'uno'
 WHERE id = 1;
/* a block comment; also with one */ DELETE FROM t WHERE id = 2;
SELECT name
  FROM t
 WHERE id = 1
EOF
run file 0 "$TWILL" -f "$tmp/script.sql" "$db"
expect_out file <<'EOF'
UPDATE 1
DELETE 1
 name 
------
 uno
(1 row)

EOF

# --- SQL from stdin ----------------------------------------------------------------
printf 'SELECT id FROM t\n  ORDER BY id;\n' >"$tmp/stdin.sql"
run stdin 0 "$TWILL" "$db" <"$tmp/stdin.sql"
expect_out stdin <<'EOF'
 id 
----
  1
  3
(2 rows)

EOF

# --- statement boundaries: ';' inside literals, comments and parentheses ------------
cat >"$tmp/edge.sql" <<'EOF'
SELECT $$a;b$$ AS d, E'it\'s;' AS e, 'x''y;' AS q, (1 +
  /* c; /* nested; */ ; */ 2) AS n; SELECT 'multi
line' AS m, 1.5 AS f, true AS b, NULL AS z
EOF
run scanner 0 "$TWILL" "$db" <"$tmp/edge.sql"
expect_out scanner <<'EOF'
  d  |   e   |  q   | n 
-----+-------+------+---
 a;b | it's; | x'y; | 3
(1 row)

   m   |  f  | b | z 
-------+-----+---+---
 multi+| 1.5 | t | 
 line  |     |   | 
(1 row)

EOF

# --- errors: SQLSTATE, exit code 1, stop at the first error unless told otherwise ---
run syntax-error 1 "$TWILL" "$db" "SELEC 1" "INSERT INTO t VALUES (10, 'not run')"
expect_grep syntax-error "$tmp/err" "ERROR:  "
expect_grep syntax-error "$tmp/err" "42601"
expect_grep syntax-error "$tmp/err" "LINE 1: SELEC 1"
[ -s "$tmp/out" ] && fail "syntax-error: printed output after the error"

printf "INSERT INTO t VALUES (11, 'a');\nSELEC;\nINSERT INTO t VALUES (12, 'b');\n" \
    >"$tmp/bad.sql"
run stop-on-error 1 "$TWILL" -f "$tmp/bad.sql" "$db"
expect_grep stop-on-error "$tmp/err" "twill:$tmp/bad.sql:2: ERROR:  "
run continue-on-error 1 "$TWILL" --on-error=continue "$db" \
    "INSERT INTO t VALUES (13, 'c'); SELEC; INSERT INTO t VALUES (14, 'd')"
run after-errors 0 "$TWILL" "$db" "SELECT id FROM t WHERE id > 9 ORDER BY id"
expect_out after-errors <<'EOF'
 id 
----
 11
 13
 14
(3 rows)

EOF
printf 'SELECT 1 AS one;\nSELECT * FROM no_such_table;\n' >"$tmp/missing.sql"
run stdin-error 1 "$TWILL" "$db" <"$tmp/missing.sql"
expect_grep stdin-error "$tmp/err" "twill:<stdin>:2: ERROR:  "

# --- meta-commands -----------------------------------------------------------------
run timing 0 "$TWILL" "$db" '\timing on' "SELECT 1 AS one"
expect_grep timing "$tmp/out" "Timing is on."
expect_grep timing "$tmp/out" "Time: "
run bad-meta 1 "$TWILL" "$db" '\nonsense'
expect_grep bad-meta "$tmp/err" "invalid command"
printf 'SELECT 1 AS one;\n\\q\nSELECT 2 AS two;\n' >"$tmp/quit.sql"
run quit 0 "$TWILL" "$db" <"$tmp/quit.sql"
grep -qF "two" "$tmp/out" && fail "quit: statements after \\q ran"

# --- describe commands (psql 15's output for the same schema) -----------------------
ddb="file://$tmp/ddb"
run d-empty 1 "$TWILL" -q "$ddb" '\d'
expect_grep d-empty "$tmp/err" "Did not find any relations."
run d-setup 0 "$TWILL" -q "$ddb" \
    "CREATE TABLE p (id int PRIMARY KEY, v numeric(5,2) NOT NULL CHECK (v > 0))" \
    "CREATE SEQUENCE sq" \
    "CREATE TABLE c (x int REFERENCES p ON DELETE CASCADE, y varchar(10), s serial)" \
    "CREATE INDEX c_y_idx ON c (y, x)" "CREATE VIEW vv AS SELECT * FROM p"
run d-list 0 "$TWILL" -q "$ddb" '\d'
expect_out d-list <<'EOF'
           List of relations
 Schema |  Name   |   Type   |  Owner   
--------+---------+----------+----------
 public | c       | table    | postgres
 public | c_s_seq | sequence | postgres
 public | p       | table    | postgres
 public | sq      | sequence | postgres
 public | vv      | view     | postgres
(5 rows)

EOF
run dt 0 "$TWILL" -q "$ddb" '\dt'
expect_out dt <<'EOF'
        List of relations
 Schema | Name | Type  |  Owner   
--------+------+-------+----------
 public | c    | table | postgres
 public | p    | table | postgres
(2 rows)

EOF
run di 0 "$TWILL" -q "$ddb" '\di'
expect_out di <<'EOF'
              List of relations
 Schema |  Name   | Type  |  Owner   | Table 
--------+---------+-------+----------+-------
 public | c_y_idx | index | postgres | c
 public | p_pkey  | index | postgres | p
(2 rows)

EOF
run dv 0 "$TWILL" -q "$ddb" '\dv vv'
expect_grep dv "$tmp/out" " public | vv   | view | postgres"
run ds 0 "$TWILL" -q "$ddb" '\ds'
expect_grep ds "$tmp/out" " public | sq      | sequence | postgres"
run d-table 0 "$TWILL" -q "$ddb" '\d c'
expect_out d-table <<'EOF'
                                   Table "public.c"
 Column |         Type          | Collation | Nullable |           Default            
--------+-----------------------+-----------+----------+------------------------------
 x      | integer               |           |          | 
 y      | character varying(10) |           |          | 
 s      | integer               |           | not null | nextval('c_s_seq'::regclass)
Indexes:
    "c_y_idx" btree (y, x)
Foreign-key constraints:
    "c_x_fkey" FOREIGN KEY (x) REFERENCES p(id) ON DELETE CASCADE

EOF
run d-parent 0 "$TWILL" -q "$ddb" '\d p'
expect_grep d-parent "$tmp/out" '    "p_pkey" PRIMARY KEY, btree (id)'
expect_grep d-parent "$tmp/out" 'Check constraints:'
expect_grep d-parent "$tmp/out" '    "p_v_check" CHECK (v > 0)'
expect_grep d-parent "$tmp/out" '    TABLE "c" CONSTRAINT "c_x_fkey" FOREIGN KEY (x) REFERENCES p(id) ON DELETE CASCADE'
run d-seq 0 "$TWILL" -q "$ddb" '\d sq'
expect_grep d-seq "$tmp/out" ' bigint |     1 |       1 | 9223372036854775807 |         1 | no      |     1'
run d-missing 1 "$TWILL" -q "$ddb" '\d nosuch'
expect_grep d-missing "$tmp/err" 'Did not find any relation named "nosuch".'

# --- interactive, through a pseudo-terminal (optional: needs script(1)) -------------
if command -v script >/dev/null 2>&1 && script -qec true /dev/null >/dev/null 2>&1 </dev/null; then
    printf 'SELECT 40 + 2\n  AS answer;\n\\q\n' >"$tmp/tty.in"
    HOME=$tmp $limit script -qec "'$TWILL' '$db'" /dev/null <"$tmp/tty.in" >"$tmp/tty.out" 2>&1
    tr -d '\r' <"$tmp/tty.out" >"$tmp/tty.txt"
    expect_grep interactive "$tmp/tty.txt" "twill=> "
    expect_grep interactive "$tmp/tty.txt" "twill-> "
    expect_grep interactive "$tmp/tty.txt" " answer "
    expect_grep interactive "$tmp/tty.txt" "(1 row)"
    [ -f "$tmp/.twill_history" ] || fail "interactive: no history file written"
else
    echo "note: script(1) unavailable; interactive mode not tested" >&2
fi

if [ "$failures" -ne 0 ]; then
    echo "test_shell: $failures check(s) failed" >&2
    exit 1
fi
echo "test_shell: all checks passed"
