// Bun.sql (Bun's built-in PostgreSQL client) against twill-server: parameters of the
// JS types the engine has (number, bigint, string, boolean, null, Uint8Array/Buffer),
// sql.begin committing and rolling back on throw, SQLSTATE in errors.
import { SQL } from "bun";

function check(cond: unknown, what: string): asserts cond {
    if (!cond) throw new Error(`check failed: ${what}`);
}

async function rejectsWith(p: Promise<unknown>, code: string, what: string) {
    try {
        await p;
    } catch (e: any) {
        // Bun names the SQLSTATE errno; .code is Bun's own error class name.
        const state = e?.errno ?? e?.code;
        check(state === code, `${what}: expected ${code}, got ${state} (${e?.message})`);
        return;
    }
    throw new Error(`${what}: no error`);
}

const sql = new SQL({
    hostname: "127.0.0.1",
    port: Number(process.env.TWILL_PORT),
    username: "postgres",
    database: "postgres",
    max: 4,
    tls: false,
});

await sql`CREATE TABLE bs (id INT PRIMARY KEY, name TEXT, score FLOAT8, ok BOOL, big BIGINT, data BYTEA)`;
const bytes = new Uint8Array([0, 1, 128, 255]);
await sql`INSERT INTO bs VALUES (${1}, ${"one ünï"}, ${-1.25}, ${true}, ${9007199254740993n}, ${bytes})`;
await sql`INSERT INTO bs VALUES (${2}, ${null}, ${null}, ${false}, ${null}, ${null})`;
const [r1] = await sql`SELECT * FROM bs WHERE id = ${1}`;
check(r1.name === "one ünï", "text");
check(r1.score === -1.25, "float8");
check(r1.ok === true, "bool");
check(BigInt(r1.big) === 9007199254740993n, `int8 ${r1.big}`);
check(Buffer.from(r1.data).equals(Buffer.from(bytes)), "bytea");
const [r2] = await sql`SELECT * FROM bs WHERE id = ${2}`;
check(r2.name === null && r2.score === null && r2.ok === false && r2.data === null, "nulls");
const [cnt] = await sql`SELECT count(*) AS n FROM bs WHERE ok = ${false} OR score < ${0}`;
check(Number(cnt.n) === 2, `count ${cnt.n}`);

// sql.begin commits; a throw rolls back; a failing statement rolls back.
await sql.begin(async (tx) => {
    await tx`INSERT INTO bs (id, name) VALUES (${10}, ${"kept"})`;
});
try {
    await sql.begin(async (tx) => {
        await tx`INSERT INTO bs (id, name) VALUES (${11}, ${"dropped"})`;
        throw new Error("boom");
    });
    throw new Error("sql.begin did not rethrow");
} catch (e: any) {
    check(e.message === "boom", `rethrown: ${e.message}`);
}
await rejectsWith(
    sql.begin(async (tx) => {
        await tx`INSERT INTO bs (id, name) VALUES (${12}, ${"dropped too"})`;
        await tx`INSERT INTO bs (id, name) VALUES (${1}, ${"duplicate"})`;
    }),
    "23505",
    "duplicate in sql.begin",
);
const ids = (await sql`SELECT id FROM bs WHERE id >= 10 ORDER BY id`).map((r: any) => r.id);
check(JSON.stringify(ids) === "[10]", `after transactions: ${JSON.stringify(ids)}`);

// SQLSTATE in errors.
await rejectsWith(sql`SELECT * FROM nope`, "42P01", "missing table");
await rejectsWith(sql`SELECT 1 / ${0}`, "22012", "division by zero");
await rejectsWith(sql`SET nosuch = 1`, "42704", "unknown parameter");

// A multi-statement simple query.
await sql.unsafe("INSERT INTO bs (id) VALUES (20); INSERT INTO bs (id) VALUES (21)").simple();
const [c2] = await sql`SELECT count(*) AS n FROM bs WHERE id >= 20`;
check(Number(c2.n) === 2, "simple multi-statement");

await sql.close();
console.log("Bun.sql ok");
