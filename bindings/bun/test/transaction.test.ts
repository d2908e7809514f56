import { afterAll, describe, expect, test } from "bun:test";
import { open, TwillError } from "../src/index.ts";
import { cleanup, tempUrl } from "./helpers.ts";

afterAll(cleanup);

function fresh() {
  const db = open(tempUrl());
  db.exec("CREATE TABLE t (id INT PRIMARY KEY, v TEXT)");
  return db;
}
const count = (db: ReturnType<typeof open>) => db.query<{ n: number }>("SELECT count(*) AS n FROM t")[0].n;

describe("transaction(fn)", () => {
  test("commits when fn returns, and returns its value", () => {
    using db = fresh();
    const r = db.transaction((tx) => {
      expect(tx).toBe(db);
      expect(db.inTransaction).toBe(true);
      db.query("INSERT INTO t VALUES (1, 'a')");
      db.prepare("INSERT INTO t VALUES (?, ?)").run(2, "b");
      return "done";
    });
    expect(r).toBe("done");
    expect(db.inTransaction).toBe(false);
    expect(count(db)).toBe(2);
  });

  test("rolls back when fn throws, and rethrows the error", () => {
    using db = fresh();
    const boom = new Error("boom");
    expect(() =>
      db.transaction(() => {
        db.query("INSERT INTO t VALUES (1, 'a')");
        throw boom;
      }),
    ).toThrow(boom);
    expect(db.inTransaction).toBe(false);
    expect(count(db)).toBe(0);
  });

  test("a SQL error inside rolls back and surfaces as the TwillError", () => {
    using db = fresh();
    db.query("INSERT INTO t VALUES (1, 'a')");
    let err: any;
    try {
      db.transaction(() => {
        db.query("INSERT INTO t VALUES (2, 'b')");
        db.query("INSERT INTO t VALUES (1, 'dup')");
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TwillError);
    expect(err.code).toBe("23505");
    expect(count(db)).toBe(1);
  });

  test("a caught SQL error still aborts the transaction: 25P02, rolled back", () => {
    using db = fresh();
    let err: any;
    try {
      db.transaction(() => {
        db.query("INSERT INTO t VALUES (1, 'a')");
        try {
          db.query("SELECT * FROM missing");
        } catch {}
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TwillError);
    expect(err.code).toBe("25P02");
    expect(db.inTransaction).toBe(false);
    expect(count(db)).toBe(0);
  });

  test("nested transaction(): the inner one commits with the outer (savepoints)", () => {
    using db = fresh();
    db.transaction(() => {
      db.query("INSERT INTO t VALUES (1, 'a')");
      db.transaction(() => db.query("INSERT INTO t VALUES (2, 'b')"));
      expect(db.inTransaction).toBe(true);
    });
    expect(db.inTransaction).toBe(false);
    expect(count(db)).toBe(2);
  });

  test("nested transaction(): a throwing inner one rolls back only itself when caught", () => {
    using db = fresh();
    db.transaction(() => {
      db.query("INSERT INTO t VALUES (1, 'a')");
      let err: any;
      try {
        db.transaction(() => {
          db.query("INSERT INTO t VALUES (2, 'b')");
          db.query("INSERT INTO t VALUES (1, 'duplicate')"); // 23505 inside the savepoint
        });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TwillError);
      expect(err.code).toBe("23505");
      // The block is usable again after ROLLBACK TO SAVEPOINT.
      db.query("INSERT INTO t VALUES (3, 'c')");
    });
    expect(db.query("SELECT id FROM t ORDER BY id").map((r: any) => r.id)).toEqual([1, 3]);
  });

  test("nested transaction(): an uncaught inner error rolls everything back", () => {
    using db = fresh();
    expect(() =>
      db.transaction(() => {
        db.query("INSERT INTO t VALUES (1, 'a')");
        db.transaction(() => {
          db.query("INSERT INTO t VALUES (2, 'b')");
          throw new Error("boom");
        });
      }),
    ).toThrow("boom");
    expect(db.inTransaction).toBe(false);
    expect(count(db)).toBe(0);
  });

  test("fn returning a Promise is refused and rolled back", () => {
    using db = fresh();
    expect(() =>
      db.transaction(async () => {
        db.query("INSERT INTO t VALUES (1, 'a')");
      }),
    ).toThrow(/Promise/);
    expect(count(db)).toBe(0);
  });

  test("refused while a BEGIN run by hand is open", () => {
    using db = fresh();
    db.exec("BEGIN");
    let err: any;
    try {
      db.transaction(() => 1);
    } catch (e) {
      err = e;
    }
    expect(err.code).toBe("25001");
    db.exec("ROLLBACK");
    expect(db.transaction(() => 2)).toBe(2);
  });

  test("DDL in a rolled-back transaction never happened", () => {
    using db = fresh();
    expect(() =>
      db.transaction(() => {
        db.exec("CREATE TABLE u (id INT PRIMARY KEY)");
        throw new Error("no");
      }),
    ).toThrow("no");
    expect(() => db.query("SELECT * FROM u")).toThrow(TwillError);
  });

  test("close() inside a transaction rolls it back", () => {
    const url = tempUrl();
    const db = open(url);
    db.exec("CREATE TABLE t (id INT PRIMARY KEY)");
    db.exec("BEGIN; INSERT INTO t VALUES (1)");
    db.close();
    using db2 = open(url);
    expect(db2.query("SELECT count(*) AS n FROM t")).toEqual([{ n: 0 }]);
  });
});

describe("statement cache", () => {
  test("repeated query() text reuses one prepared statement", () => {
    using db = fresh();
    const before = db.cachedStatements;
    for (let i = 0; i < 50; i++) db.query("INSERT INTO t VALUES (?, ?)", [i, "v"]);
    expect(db.cachedStatements).toBe(before + 1);
    expect(count(db)).toBe(50);
  });

  test("the cache is bounded (LRU)", () => {
    using db = open(tempUrl(), { statementCacheSize: 3 });
    for (let i = 0; i < 10; i++) expect(db.query(`SELECT ${i} AS v`)).toEqual([{ v: i }]);
    expect(db.cachedStatements).toBe(3);
    // Recently used texts stay: use "SELECT 7" again, add two new ones; 7 survives.
    db.query("SELECT 7 AS v");
    db.query("SELECT 100 AS v");
    db.query("SELECT 101 AS v");
    expect(db.cachedStatements).toBe(3);
    expect(db.query("SELECT 7 AS v")).toEqual([{ v: 7 }]);
  });

  test("statementCacheSize: 0 disables caching", () => {
    using db = open(tempUrl(), { statementCacheSize: 0 });
    db.query("SELECT 1 AS a");
    db.query("SELECT 1 AS a");
    expect(db.cachedStatements).toBe(0);
  });
});
