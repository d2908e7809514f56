import { afterAll, describe, expect, test } from "bun:test";
import { open, Database, Statement, TwillError, libraryInfo } from "../src/index.ts";
import { cleanup, tempUrl } from "./helpers.ts";

afterAll(cleanup);

function fresh(opts = {}) {
  const db = open(tempUrl(), opts);
  db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
  return db;
}

describe("open / close", () => {
  test("the issue's example", () => {
    const url = tempUrl();
    {
      using db = open(url);
      db.exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)`);
      db.query("INSERT INTO notes VALUES (?, ?)", [1, "hello"]);
      expect(db.query("SELECT id, body FROM notes")).toEqual([{ id: 1, body: "hello" }]);
    }
    // `using` closed it (a second open in the same process would otherwise be BUSY).
    using again = open(url);
    expect(again.query("SELECT body FROM notes WHERE id = 1")).toEqual([{ body: "hello" }]);
  });

  test("using closes the database at the end of the block", () => {
    let outer: Database;
    {
      using db = open(tempUrl());
      outer = db;
      expect(db.closed).toBe(false);
    }
    expect(outer.closed).toBe(true);
    expect(() => outer.query("SELECT 1")).toThrow(/database is closed/);
  });

  test("data survives close and reopen", () => {
    const url = tempUrl();
    const db = open(url);
    db.exec("CREATE TABLE t (id BIGINT PRIMARY KEY, v TEXT)");
    db.query("INSERT INTO t VALUES ($1, $2), ($3, $4)", [1, "a", 2, "b"]);
    db.close();
    db.close(); // twice is a no-op
    const db2 = new Database(url);
    expect(db2.query("SELECT v FROM t ORDER BY id")).toEqual([{ v: "a" }, { v: "b" }]);
    db2.close();
  });

  test("a bare path is a file:// URL", () => {
    const url = tempUrl();
    using db = open(url.slice("file://".length));
    expect(db.url).toBe(url);
    expect(db.query("SELECT 1 AS one")).toEqual([{ one: 1 }]);
  });

  test("create: false on a missing database fails with a TwillError", () => {
    const url = tempUrl("missing");
    let err: unknown;
    try {
      open(url, { create: false });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TwillError);
    expect((err as TwillError).message).toContain(url);
    expect((err as TwillError).code).toMatch(/^[0-9A-Z]{5}$/);
  });

  test("a second open of the same database in the process is refused", () => {
    const url = tempUrl();
    using db = open(url);
    expect(() => open(url)).toThrow(TwillError);
    expect(db.closed).toBe(false);
  });

  test("unknown URL schemes and bad options are TwillErrors", () => {
    expect(() => open("nosuch://x")).toThrow(TwillError);
    expect(() => open(tempUrl(), { cacheMb: 0 })).toThrow(/cache_mb/);
    expect(() => open("")).toThrow(/url/);
  });

  test("cacheMb is accepted", () => {
    using db = open(tempUrl(), { cacheMb: 8 });
    expect(db.query("SELECT 2 AS two")).toEqual([{ two: 2 }]);
  });

  test("libraryInfo reports the loaded library", () => {
    const info = libraryInfo();
    expect(info.abiVersion).toBeGreaterThanOrEqual(3);
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    if (process.env.TWILL_LIB) expect(info.path).toBe(process.env.TWILL_LIB);
  });

  test("stats() returns the engine counters", () => {
    using db = fresh();
    db.query("INSERT INTO notes VALUES (1, 'x')");
    const s = db.stats();
    expect(s.commits).toBeGreaterThanOrEqual(2);
    expect(s.sessions).toBe(1);
  });
});

describe("exec / query / prepare", () => {
  test("? and $n placeholders", () => {
    using db = fresh();
    db.query("INSERT INTO notes VALUES (?, ?)", [1, "one"]);
    db.query("INSERT INTO notes VALUES ($1, $2)", [2, "two"]);
    db.query("INSERT INTO notes (body, id) VALUES ($2, $1)", [3, "three"]);
    expect(db.query("SELECT id, body FROM notes WHERE id >= ? ORDER BY id", [2])).toEqual([
      { id: 2, body: "two" },
      { id: 3, body: "three" },
    ]);
    expect(db.query("SELECT body FROM notes WHERE id = $1 OR id = $1 + 1 ORDER BY id", [1])).toEqual([
      { body: "one" },
      { body: "two" },
    ]);
  });

  test("exec runs a script of several statements", () => {
    using db = fresh();
    db.exec("INSERT INTO notes VALUES (1, 'a'); INSERT INTO notes VALUES (2, 'b'); -- done");
    expect(db.query("SELECT count(*) AS n FROM notes")).toEqual([{ n: 2 }]);
  });

  test("query of a statement without rows returns []", () => {
    using db = fresh();
    expect(db.query("INSERT INTO notes VALUES (1, 'a')")).toEqual([]);
    expect(db.query("UPDATE notes SET body = 'b'")).toEqual([]);
  });

  test("RETURNING rows come back from query", () => {
    using db = fresh();
    expect(db.query("INSERT INTO notes VALUES (1, 'a'), (2, 'b') RETURNING id, upper(body) AS u")).toEqual([
      { id: 1, u: "A" },
      { id: 2, u: "B" },
    ]);
  });

  test("column names follow PostgreSQL; duplicates: the last wins", () => {
    using db = fresh();
    const st = db.prepare("SELECT 1, 2 AS x, 3 AS x, abs(-4)");
    expect(st.columnNames).toEqual(["?column?", "x", "x", "abs"]);
    expect(st.get()).toEqual({ "?column?": 1, x: 3, abs: 4 });
    expect(st.values()).toEqual([[1, 2, 3, 4]]);
    expect(db.query('SELECT 7 AS "__proto__"')[0]).toEqual(Object.fromEntries([["__proto__", 7]]));
    expect(Object.getPrototypeOf(db.query('SELECT 7 AS "__proto__"')[0])).toBe(Object.prototype);
  });

  test("prepare refuses more than one statement and empty text", () => {
    using db = fresh();
    let err: any;
    try {
      db.prepare("SELECT 1; SELECT 2");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TwillError);
    expect(err.code).toBe("42601");
    expect(err.message).toContain("exec()");
    expect(() => db.prepare("  -- nothing")).toThrow(/no SQL statement/);
    // A trailing semicolon and comment are one statement.
    expect(db.prepare("SELECT 1 AS a; -- c").get()).toEqual({ a: 1 });
  });
});

describe("Statement", () => {
  test("all / get / run / values / iterate", () => {
    using db = fresh();
    const ins = db.prepare("INSERT INTO notes VALUES (?, ?)");
    expect(ins).toBeInstanceOf(Statement);
    expect(ins.paramsCount).toBe(2);
    for (let i = 1; i <= 5; i++) expect(ins.run(i, `n${i}`)).toEqual({ changes: 1 });
    expect(db.prepare("UPDATE notes SET body = body || '!' WHERE id > ?").run(3)).toEqual({ changes: 2 });
    expect(db.prepare("DELETE FROM notes WHERE id = 99").run()).toEqual({ changes: 0 });

    const sel = db.prepare<{ id: number; body: string }>("SELECT id, body FROM notes WHERE id <= $1 ORDER BY id");
    expect(sel.all(2)).toEqual([
      { id: 1, body: "n1" },
      { id: 2, body: "n2" },
    ]);
    expect(sel.all([2])).toEqual(sel.all(2)); // one array argument is the parameter list
    expect(sel.get(5)).toEqual({ id: 1, body: "n1" });
    expect(sel.get(0)).toBeNull();
    expect(sel.values(5)).toEqual([
      [1, "n1"],
      [2, "n2"],
      [3, "n3"],
      [4, "n4!"],
      [5, "n5!"],
    ]);
    const seen: number[] = [];
    for (const row of sel.iterate(5)) seen.push(row.id);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });

  test("get() after get() re-runs from the start (the statement is reset)", () => {
    using db = fresh();
    db.exec("INSERT INTO notes VALUES (1, 'a'), (2, 'b')");
    const st = db.prepare("SELECT id FROM notes ORDER BY id");
    expect(st.get()).toEqual({ id: 1 });
    expect(st.get()).toEqual({ id: 1 });
    expect(st.all()).toEqual([{ id: 1 }, { id: 2 }]);
  });

  test("iterate: breaking out resets; running it during the loop is refused", () => {
    using db = fresh();
    db.exec("INSERT INTO notes VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    const st = db.prepare("SELECT id FROM notes ORDER BY id");
    for (const row of st.iterate()) {
      expect(row).toEqual({ id: 1 });
      let err: any;
      try {
        st.all();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TwillError);
      expect(err.code).toBe("55006");
      // Other statements run fine meanwhile.
      expect(db.query("SELECT count(*) AS n FROM notes")).toEqual([{ n: 3 }]);
      break;
    }
    expect(st.all().length).toBe(3);
  });

  test("finalize: use afterwards throws; finalize twice is fine", () => {
    using db = fresh();
    const st = db.prepare("SELECT 1 AS a");
    st.finalize();
    st.finalize();
    expect(() => st.get()).toThrow(/statement is closed/);
    {
      using st2 = db.prepare("SELECT 2 AS b");
      expect(st2.get()).toEqual({ b: 2 });
    }
  });

  test("statements of a closed database throw", () => {
    const db = fresh();
    const st = db.prepare("SELECT 1 AS a");
    db.close();
    let err: any;
    try {
      st.get();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TwillError);
    expect(err.message).toContain("database is closed");
    st.finalize(); // harmless after close
  });

  test("too many parameters is an error", () => {
    using db = fresh();
    expect(() => db.query("SELECT $1::int AS a", [1, 2])).toThrow(/2 parameters supplied but the statement takes 1/);
  });

  test("unbound parameters are NULL", () => {
    using db = fresh();
    expect(db.query("SELECT $1::text AS a, $2::int AS b", ["x"])).toEqual([{ a: "x", b: null }]);
  });

  test("a cached statement sees the new columns after the table is recreated", () => {
    using db = fresh();
    db.query("INSERT INTO notes VALUES (1, 'x')");
    expect(db.query("SELECT * FROM notes")).toEqual([{ id: 1, body: "x" }]);
    db.exec("DROP TABLE notes; CREATE TABLE notes (k BIGINT PRIMARY KEY, score FLOAT8, tag TEXT)");
    db.query("INSERT INTO notes VALUES (2, 1.5, 'y')");
    expect(db.query("SELECT * FROM notes")).toEqual([{ k: 2, score: 1.5, tag: "y" }]);
    const st = db.prepare("SELECT * FROM notes");
    db.query("DROP TABLE notes");
    db.query("CREATE TABLE notes (z TEXT PRIMARY KEY)");
    db.query("INSERT INTO notes VALUES ('q')");
    expect(st.all()).toEqual([{ z: "q" }]);
    expect(st.columnNames).toEqual(["z"]);
  });
});
