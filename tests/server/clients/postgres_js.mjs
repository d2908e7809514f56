// postgres.js against twill-server: tagged-template parameters (always the extended
// protocol), sql.begin committing and rolling back when its callback throws, and
// errors carrying the SQLSTATE in .code.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(`${process.env.TWILL_CLIENTS}/`);
const postgres = require('postgres');
const sql = postgres({
    host: '127.0.0.1',
    port: Number(process.env.TWILL_PORT),
    user: 'postgres',
    database: 'postgres',
    max: 4,
    onnotice: () => {},
    // postgres.js reads array types from pg_catalog.pg_type on connect; there is no
    // pg_catalog yet (see docs/server.md).
    fetch_types: false,
});

await sql`CREATE TABLE pj (id INT PRIMARY KEY, name TEXT, score FLOAT8, ok BOOL, big BIGINT, data BYTEA)`;
const bytes = Buffer.from([0, 7, 255]);
const ins = await sql`INSERT INTO pj VALUES (${1}, ${'one'}, ${2.5}, ${true}, ${'9000000000'}, ${bytes})`;
assert.equal(ins.count, 1);
assert.equal(ins.command, 'INSERT');
const [row] = await sql`SELECT * FROM pj WHERE id = ${1}`;
assert.equal(row.name, 'one');
assert.equal(row.score, 2.5);
assert.equal(row.ok, true);
assert.equal(row.big, '9000000000');
assert.deepEqual(Buffer.from(row.data), bytes);
const [n] = await sql`SELECT ${'x'} || name AS s, ${null}::TEXT IS NULL AS isnull FROM pj`;
assert.equal(n.s, 'xone');
assert.equal(n.isnull, true);

// Dynamic identifiers and sql.unsafe (a simple multi-statement Query).
const col = 'name';
assert.equal((await sql`SELECT ${sql(col)} FROM pj`)[0].name, 'one');
await sql.unsafe("INSERT INTO pj (id, name) VALUES (2, 'two'); INSERT INTO pj (id, name) VALUES (3, 'three')");
assert.equal((await sql`SELECT count(*)::INT AS n FROM pj`)[0].n, 3);

// sql.begin commits; a throw inside it rolls back.
await sql.begin(async (tx) => {
    await tx`INSERT INTO pj (id, name) VALUES (${10}, ${'kept'})`;
});
await assert.rejects(
    sql.begin(async (tx) => {
        await tx`INSERT INTO pj (id, name) VALUES (${11}, ${'dropped'})`;
        throw new Error('boom');
    }),
    /boom/,
);
assert.deepEqual(
    (await sql`SELECT id FROM pj WHERE id >= 10 ORDER BY id`).map((r) => r.id),
    [10],
);
// A failing statement inside sql.begin rolls the whole transaction back.
await assert.rejects(
    sql.begin(async (tx) => {
        await tx`INSERT INTO pj (id, name) VALUES (${12}, ${'dropped too'})`;
        await tx`INSERT INTO pj (id, name) VALUES (${1}, ${'duplicate'})`;
    }),
    (e) => e.code === '23505',
);
assert.equal((await sql`SELECT count(*)::INT AS n FROM pj WHERE id = 12`)[0].n, 0);

// Errors carry the SQLSTATE.
await assert.rejects(sql`SELECT * FROM nope`, (e) => e.code === '42P01');
await assert.rejects(sql`SELECT 1 / ${0}`, (e) => e.code === '22012');
await assert.rejects(sql`SHOW nosuch`, (e) => e.code === '42704');

// SET / SHOW through the extended protocol.
await sql.begin(async (tx) => {
    await tx`SET LOCAL statement_timeout = 1000`;
    assert.equal((await tx`SHOW statement_timeout`)[0].statement_timeout, '1s');
});

await sql.end();
console.log('postgres.js ok');
