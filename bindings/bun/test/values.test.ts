import { afterAll, describe, expect, test } from "bun:test";
import { open, TwillError } from "../src/index.ts";
import { cleanup, tempUrl } from "./helpers.ts";

afterAll(cleanup);

describe("JS -> SQL -> JS values", () => {
  test("every supported type round-trips through a table", () => {
    using db = open(tempUrl());
    db.exec("CREATE TABLE v (id BIGINT PRIMARY KEY, i BIGINT, d FLOAT8, t TEXT, b BOOLEAN, x BYTEA)");
    const blob = new Uint8Array([0, 1, 2, 254, 255]);
    db.query("INSERT INTO v VALUES (?, ?, ?, ?, ?, ?)", [1, -42, 2.5, "héllo ✓ 😀", true, blob]);
    db.query("INSERT INTO v VALUES (?, ?, ?, ?, ?, ?)", [2, 0, -0.125, "", false, Buffer.from("buf")]);
    db.query("INSERT INTO v VALUES (?, ?, ?, ?, ?, ?)", [3, null, undefined, null, null, null]);
    const rows = db.query("SELECT * FROM v ORDER BY id");
    expect(rows[0]).toEqual({ id: 1, i: -42, d: 2.5, t: "héllo ✓ 😀", b: true, x: blob });
    expect(rows[1]).toEqual({ id: 2, i: 0, d: -0.125, t: "", b: false, x: new Uint8Array(Buffer.from("buf")) });
    expect(rows[2]).toEqual({ id: 3, i: null, d: null, t: null, b: null, x: null });
    expect(rows[0].x).toBeInstanceOf(Uint8Array);
  });

  test("integers bind as int64, other numbers as double", () => {
    using db = open(tempUrl());
    // Integer division truncates: 7/2 = 3 only if $1 was bound as an integer.
    expect(db.query("SELECT $1 / 2 AS q", [7])).toEqual([{ q: 3 }]);
    expect(db.query("SELECT $1 / 2 AS q", [7.5])).toEqual([{ q: 3.75 }]);
    expect(db.query("SELECT $1::bigint AS n", [2 ** 60])).toEqual([{ n: 2n ** 60n }]);
    expect(db.query("SELECT $1::bigint AS n", [-(2 ** 62)])).toEqual([{ n: -(2n ** 62n) }]);
    expect(db.query("SELECT $1::float8 AS f", [1e300])).toEqual([{ f: 1e300 }]);
    const [{ nan }] = db.query<{ nan: number }>("SELECT $1::float8 AS nan", [NaN]);
    expect(Number.isNaN(nan)).toBe(true);
  });

  test("64-bit integers: number when safe, bigint otherwise", () => {
    using db = open(tempUrl());
    db.exec("CREATE TABLE n (k BIGINT PRIMARY KEY)");
    const vals = [0n, 1n, -1n, 2n ** 53n - 1n, -(2n ** 53n - 1n), 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n)];
    for (const v of vals) db.query("INSERT INTO n VALUES ($1)", [v]);
    const got = db.query<{ k: number | bigint }>("SELECT k FROM n ORDER BY k").map((r) => r.k);
    expect(got).toEqual([
      -(2n ** 63n),
      -(2n ** 53n),
      -Number.MAX_SAFE_INTEGER,
      -1,
      0,
      1,
      Number.MAX_SAFE_INTEGER,
      2n ** 53n,
      2n ** 63n - 1n,
    ]);
  });

  test("{ bigint: true } returns every integer as bigint", () => {
    using db = open(tempUrl(), { bigint: true });
    expect(db.query("SELECT 1 AS a, 2.5 AS b, 'x' AS c, $1::bigint AS d", [5])).toEqual([
      { a: 1n, b: "2.5", c: "x", d: 5n }, // numeric arrives as exact text, as with node-postgres
    ]);
    expect(db.prepare("SELECT 3 AS a").values()).toEqual([[3n]]);
  });

  test("bigint outside int64 and unsupported values are refused", () => {
    using db = open(tempUrl());
    let err: any;
    try {
      db.query("SELECT $1::bigint AS a", [2n ** 63n]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TwillError);
    expect(err.code).toBe("22023");
    expect(err.message).toContain("$1");
    expect(() => db.query("SELECT $1::text AS a", [{ a: 1 }] as any)).toThrow(/unsupported value of type Object/);
    expect(() => db.query("SELECT $1::text AS a", [Symbol("s")] as any)).toThrow(/unsupported value of type symbol/);
    expect(() => db.query("SELECT $1::text AS a", [new Date(NaN)])).toThrow(/invalid Date/);
  });

  test("Date binds as ISO 8601 text", () => {
    using db = open(tempUrl());
    const d = new Date(Date.UTC(2024, 1, 29, 13, 14, 15, 16));
    expect(db.query("SELECT $1::text AS t", [d])).toEqual([{ t: "2024-02-29T13:14:15.016Z" }]);
  });

  test("booleans bind as boolean", () => {
    using db = open(tempUrl());
    expect(db.query("SELECT $1 AND true AS a, NOT $2 AS b", [true, false])).toEqual([{ a: true, b: true }]);
  });

  test("typed arrays and ArrayBuffer bind as bytea", () => {
    using db = open(tempUrl());
    const f = new Float32Array([1.5]);
    const [{ x }] = db.query<{ x: Uint8Array }>("SELECT $1::bytea AS x", [f]);
    expect(x).toEqual(new Uint8Array(f.buffer));
    const [{ y }] = db.query<{ y: Uint8Array }>("SELECT $1::bytea AS y", [new Uint8Array([9, 8]).buffer]);
    expect(y).toEqual(new Uint8Array([9, 8]));
    const [{ z }] = db.query<{ z: Uint8Array }>("SELECT $1::bytea AS z", [new Uint8Array(0)]);
    expect(z).toEqual(new Uint8Array(0));
  });

  test("rows and parameters larger than the shared buffers", () => {
    using db = open(tempUrl());
    db.exec("CREATE TABLE big (id INT PRIMARY KEY, t TEXT, x BYTEA)");
    const text = "ü".repeat(300_000) + "end"; // 600 kB of UTF-8
    const blob = new Uint8Array(1 << 20).map((_, i) => i & 0xff);
    db.query("INSERT INTO big VALUES (1, ?, ?)", [text, blob]);
    db.query("INSERT INTO big VALUES (2, 'small', NULL)");
    const st = db.prepare("SELECT t, x FROM big WHERE id = ?");
    const r = st.get(1) as { t: string; x: Uint8Array };
    expect(r.t.length).toBe(text.length);
    expect(r.t).toBe(text);
    expect(r.x).toEqual(blob);
    expect(st.get(2)).toEqual({ t: "small", x: null }); // the big row's reset happened
    expect(db.query("SELECT id, length(t) AS n FROM big ORDER BY id")).toEqual([
      { id: 1, n: text.length },
      { id: 2, n: 5 },
    ]);
  });

  test("many parameters in one statement", () => {
    using db = open(tempUrl());
    const n = 500;
    const params = Array.from({ length: n }, (_, i) => (i % 2 ? `s${i}` : i));
    const sql = "SELECT " + params.map((_, i) => `$${i + 1}::text AS c${i}`).join(", ");
    const [row] = db.query<Record<string, string>>(sql, params);
    expect(row.c0).toBe("0");
    expect(row.c499).toBe("s499");
    expect(Object.keys(row).length).toBe(n);
  });
});
