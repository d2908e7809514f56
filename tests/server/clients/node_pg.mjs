// node-postgres (pg) against twill-server: a pool, a multi-statement simple query,
// parameters of the types the engine has, NUMERIC as exact text, BYTEA through Buffer, a transaction rolled
// back, errors carrying the SQLSTATE in .code, and session parameters.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(`${process.env.TWILL_CLIENTS}/`);
const pg = require('pg');
const pool = new pg.Pool({
    host: '127.0.0.1',
    port: Number(process.env.TWILL_PORT),
    user: 'postgres',
    database: 'postgres',
    max: 4,
});

// Several statements in one Query: node-pg returns one result per statement.
const multi = await pool.query(
    "CREATE TABLE np (id INT PRIMARY KEY, name TEXT, data BYTEA, score FLOAT8, ok BOOL, big BIGINT);" +
        "INSERT INTO np VALUES (1, 'one', NULL, 1.5, true, 9000000000);" +
        'SELECT id, name FROM np',
);
assert.equal(multi.length, 3);
assert.equal(multi[1].rowCount, 1);
assert.deepEqual(multi[2].rows, [{ id: 1, name: 'one' }]);

// Parameters (extended protocol): numbers, strings, booleans, a bigint as text,
// NULL, and a Buffer (sent in binary) for BYTEA.
const bytes = Buffer.from([0, 1, 2, 254, 255]);
const ins = await pool.query('INSERT INTO np VALUES ($1, $2, $3, $4, $5, $6)', [
    2, "two 'quoted' ünïcode", bytes, -0.25, false, '12345678901',
]);
assert.equal(ins.rowCount, 1);
assert.equal(ins.command, 'INSERT');
const row = (await pool.query('SELECT * FROM np WHERE id = $1', [2])).rows[0];
assert.equal(row.name, "two 'quoted' ünïcode");
assert.ok(Buffer.isBuffer(row.data));
assert.deepEqual(row.data, bytes);
assert.equal(row.score, -0.25);
assert.equal(row.ok, false);
assert.equal(row.big, '12345678901'); // int8 comes back as a string in node-pg
const nulls = (await pool.query('SELECT data FROM np WHERE id = $1 AND data IS NULL', [1])).rows;
assert.equal(nulls.length, 1);
assert.equal(nulls[0].data, null);

// NUMERIC: exact decimal text both ways (node-pg leaves numeric as a string).
await pool.query('CREATE TABLE money (id INT PRIMARY KEY, amount NUMERIC(12,2))');
await pool.query('INSERT INTO money VALUES ($1, $2), ($3, $4)', [1, '12345678.905', 2, '0.1']);
const sums = (await pool.query('SELECT sum(amount) AS total, $1::numeric * 3 AS tripled FROM money', ['0.1']))
    .rows[0];
assert.equal(sums.total, '12345679.01');
assert.equal(sums.tripled, '0.3');
assert.equal((await pool.query('SELECT amount FROM money WHERE id = 1')).rows[0].amount, '12345678.91');

// A named prepared statement, reused.
for (let i = 0; i < 3; i++) {
    const r = await pool.query({ name: 'by_id', text: 'SELECT name FROM np WHERE id = $1', values: [1] });
    assert.equal(r.rows[0].name, 'one');
}

// The pool runs queries on several connections at once.
await Promise.all(
    Array.from({ length: 40 }, (_, i) => pool.query('INSERT INTO np (id, name) VALUES ($1, $2)', [100 + i, `p${i}`])),
);
assert.equal((await pool.query('SELECT count(*) AS n FROM np WHERE id >= 100')).rows[0].n, '40');

// A transaction on one pooled client, rolled back.
const client = await pool.connect();
try {
    await client.query('BEGIN');
    await client.query('INSERT INTO np (id, name) VALUES ($1, $2)', [500, 'gone']);
    assert.equal((await client.query('SELECT count(*) AS n FROM np WHERE id = 500')).rows[0].n, '1');
    await client.query('ROLLBACK');
} finally {
    client.release();
}
assert.equal((await pool.query('SELECT count(*) AS n FROM np WHERE id = 500')).rows[0].n, '0');

// An error inside a transaction aborts it (25P02 until ROLLBACK).
const c2 = await pool.connect();
try {
    await c2.query('BEGIN');
    await assert.rejects(c2.query('INSERT INTO np (id) VALUES (1)'), (e) => e.code === '23505');
    await assert.rejects(c2.query('SELECT 1'), (e) => e.code === '25P02');
    await c2.query('ROLLBACK');
} finally {
    c2.release();
}

// Errors carry the SQLSTATE (and the position when the engine knows it).
await assert.rejects(pool.query('SELECT * FROM nope'), (e) => e.code === '42P01' && e.position === '15');
await assert.rejects(pool.query('SELEC 1'), (e) => e.code === '42601');
await assert.rejects(pool.query('SELECT 1 / $1', [0]), (e) => e.code === '22012');
await assert.rejects(pool.query('SET nosuch = 1'), (e) => e.code === '42704');

// Session parameters the driver user sets.
const c3 = await pool.connect();
try {
    await c3.query("SET application_name = 'node-pg-test'");
    assert.equal((await c3.query('SHOW application_name')).rows[0].application_name, 'node-pg-test');
    await c3.query('SET statement_timeout = 5000');
} finally {
    c3.release();
}

await pool.end();
console.log('node-postgres ok');
