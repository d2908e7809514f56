"""psycopg2 (libpq) against twill-server: COPY FROM STDIN / TO STDOUT through
copy_expert, a REPEATABLE READ snapshot (BEGIN ISOLATION LEVEL ...; the engine's
snapshot isolation), 40001 for a lost update between two connections, parameters
(Decimal as NUMERIC), and SQLSTATEs in exceptions."""
import decimal
import io
import os

import psycopg2
import psycopg2.errors
import psycopg2.extensions as ext

DSN = "host=127.0.0.1 port=%s user=postgres dbname=postgres sslmode=disable" % os.environ["TWILL_PORT"]


def connect(**kw):
    c = psycopg2.connect(DSN, **kw)
    return c


a = connect()
cur = a.cursor()
cur.execute("CREATE TABLE acct (id INT PRIMARY KEY, owner TEXT, balance BIGINT, note TEXT)")
a.commit()

# COPY FROM STDIN: 10,000 rows of text format, with NULLs and escapes.
buf = io.StringIO()
for i in range(1, 10001):
    buf.write("%d\towner %d\t%d\t%s\n" % (i, i, 100, "\\N" if i % 2 else "tab\\there"))
buf.seek(0)
cur.copy_expert("COPY acct (id, owner, balance, note) FROM STDIN", buf)
assert cur.rowcount == 10000, cur.rowcount
a.commit()
cur.execute("SELECT count(*), sum(balance) FROM acct WHERE note IS NULL")
assert cur.fetchone() == (5000, 500000)
cur.execute("SELECT note FROM acct WHERE id = %s", (2,))
assert cur.fetchone()[0] == "tab\there"

# CSV with a header through copy_expert, and a malformed row: nothing is loaded and
# the error names the line.
cur.copy_expert("COPY acct FROM STDIN WITH (FORMAT csv, HEADER)",
                io.StringIO('id,owner,balance,note\n20001,"Smith, J",5,""\n'))
a.commit()
try:
    cur.copy_expert("COPY acct FROM STDIN (FORMAT csv)", io.StringIO("30001,x,1,\n30002,y,oops,\n"))
    raise SystemExit("malformed COPY row accepted")
except psycopg2.Error as e:
    assert e.pgcode == "22P02", e.pgcode
    assert "COPY acct, line 2" in (e.diag.context or ""), e.diag.context
    a.rollback()
cur.execute("SELECT count(*) FROM acct WHERE id > 30000")
assert cur.fetchone()[0] == 0
out = io.StringIO()
cur.copy_expert("COPY (SELECT id, owner, note FROM acct WHERE id IN (1, 2, 20001) ORDER BY id) TO STDOUT WITH (FORMAT csv)", out)
assert out.getvalue() == '1,owner 1,\n2,owner 2,tab\there\n20001,"Smith, J",""\n', repr(out.getvalue())
a.commit()

# REPEATABLE READ: a transaction keeps its snapshot while another commits.
a.set_session(isolation_level=ext.ISOLATION_LEVEL_REPEATABLE_READ)
b = connect()
b.autocommit = True
cur.execute("SELECT balance FROM acct WHERE id = 1")
assert cur.fetchone()[0] == 100
b.cursor().execute("UPDATE acct SET balance = 200 WHERE id = 1")
cur.execute("SELECT balance FROM acct WHERE id = 1")
assert cur.fetchone()[0] == 100, "snapshot moved"
a.commit()
cur.execute("SELECT balance FROM acct WHERE id = 1")
assert cur.fetchone()[0] == 200
a.commit()

# A lost update: both read, both write the same row; the second committer gets 40001.
b.autocommit = False
b.set_session(isolation_level=ext.ISOLATION_LEVEL_REPEATABLE_READ)
bc = b.cursor()
cur.execute("SELECT balance FROM acct WHERE id = 1")
bal_a = cur.fetchone()[0]
bc.execute("SELECT balance FROM acct WHERE id = 1")
bal_b = bc.fetchone()[0]
cur.execute("UPDATE acct SET balance = %s WHERE id = 1", (bal_a + 10,))
a.commit()
try:
    bc.execute("UPDATE acct SET balance = %s WHERE id = 1", (bal_b + 20,))
    b.commit()
    raise SystemExit("lost update: the second writer committed")
except psycopg2.errors.SerializationFailure as e:
    assert e.pgcode == "40001"
    b.rollback()
cur.execute("SELECT balance FROM acct WHERE id = 1")
assert cur.fetchone()[0] == 210
a.commit()

# NUMERIC comes back as Decimal, exactly.
cur.execute("SELECT %s * 3 AS d", (decimal.Decimal("0.1"),))
assert cur.fetchone()[0] == decimal.Decimal("0.3")
a.commit()

# Parameters and SQLSTATEs.
cur.execute("INSERT INTO acct (id, owner, balance) VALUES (%s, %s, %s)", (40001, "o'brien", 2**40))
a.commit()
cur.execute("SELECT owner, balance FROM acct WHERE id = %s", (40001,))
assert cur.fetchone() == ("o'brien", 2**40)
try:
    cur.execute("INSERT INTO acct (id) VALUES (1)")
    raise SystemExit("duplicate accepted")
except psycopg2.errors.UniqueViolation as e:
    assert e.pgcode == "23505"
    a.rollback()
try:
    cur.execute("SELECT * FROM nope")
except psycopg2.errors.UndefinedTable:
    a.rollback()
a.close()
b.close()
print("psycopg2 ok")
