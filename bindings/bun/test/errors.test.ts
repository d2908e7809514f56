import { afterAll, describe, expect, test } from "bun:test";
import { open, TwillError } from "../src/index.ts";
import { cleanup, tempUrl } from "./helpers.ts";

afterAll(cleanup);

function catchErr(fn: () => unknown): TwillError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TwillError);
    return e as TwillError;
  }
  throw new Error("expected a TwillError, nothing was thrown");
}

describe("TwillError", () => {
  test("syntax error: code, message and position", () => {
    using db = open(tempUrl());
    const e = catchErr(() => db.query("SELECT 1 FROM WHERE"));
    expect(e.name).toBe("TwillError");
    expect(e.code).toBe("42601");
    expect(e.message).toContain("syntax error");
    expect(e.position).toBe(15);
    expect(e.sql).toBe("SELECT 1 FROM WHERE");
    expect(e.resultCode).toBe(1);
  });

  test("position inside an exec script is relative to the whole script", () => {
    using db = open(tempUrl());
    const e = catchErr(() => db.exec("SELECT 1; SELEC 2"));
    expect(e.code).toBe("42601");
    expect(e.position).toBe(11);
  });

  test("SQLSTATEs of common failures", () => {
    using db = open(tempUrl());
    db.exec("CREATE TABLE t (id INT PRIMARY KEY, v TEXT NOT NULL)");
    db.query("INSERT INTO t VALUES (1, 'a')");
    expect(catchErr(() => db.query("SELECT * FROM nope")).code).toBe("42P01");
    expect(catchErr(() => db.query("SELECT nope FROM t")).code).toBe("42703");
    expect(catchErr(() => db.query("INSERT INTO t VALUES (1, 'b')")).code).toBe("23505");
    expect(catchErr(() => db.query("INSERT INTO t VALUES (2, NULL)")).code).toBe("23502");
    expect(catchErr(() => db.query("SELECT 1 / 0")).code).toBe("22012");
    expect(catchErr(() => db.query("SELECT $1::int AS a", ["abc"])).code).toBe("22P02");
    expect(catchErr(() => db.query("CREATE TABLE t (id INT)")).code).toBe("42P07");
    expect(catchErr(() => db.exec("SAVEPOINT x")).code).toMatch(/0A000|25P01/);
    // The session is still usable after every one of those.
    expect(db.query("SELECT count(*) AS n FROM t")).toEqual([{ n: 1 }]);
  });

  test("a failed statement leaves no partial effects", () => {
    using db = open(tempUrl());
    db.exec("CREATE TABLE t (id INT PRIMARY KEY)");
    expect(catchErr(() => db.query("INSERT INTO t VALUES (1), (2), (1)")).code).toBe("23505");
    expect(db.query("SELECT count(*) AS n FROM t")).toEqual([{ n: 0 }]);
  });

  test("branch() is not supported yet: 0A000", () => {
    using db = open(tempUrl());
    const e = catchErr(() => db.branch("feature-x"));
    expect(e.code).toBe("0A000");
    expect(e.message).toContain("branch");
    expect(e.resultCode).toBe(9);
    expect(catchErr(() => db.branch("")).code).toBe("22023");
  });
});

describe("library loading", () => {
  const script = `
    import { libraryInfo, libraryCandidates } from ${JSON.stringify(new URL("../src/index.ts", import.meta.url).pathname)};
    const out = { candidates: libraryCandidates() };
    if (process.env.TWILL_TEST_LOAD === "1") {
      try { libraryInfo(); out.loaded = true; }
      catch (e) { Object.assign(out, { name: e.name, code: e.code, message: e.message }); }
    }
    console.log(JSON.stringify(out));
  `;
  function run(env: Record<string, string | undefined>, load = true) {
    const p = Bun.spawnSync([process.execPath, "-e", script], {
      env: { ...process.env, ...env, TWILL_TEST_LOAD: load ? "1" : "0" } as any,
    });
    return JSON.parse(p.stdout.toString().trim());
  }

  test("a TWILL_LIB that does not exist is reported with the path tried", () => {
    const out = run({ TWILL_LIB: "/nonexistent/dir/libtwill.so" });
    expect(out.name).toBe("TwillError");
    expect(out.message).toContain("cannot load libtwill");
    expect(out.message).toContain("/nonexistent/dir/libtwill.so: no such file");
    expect(out.message).toContain("TWILL_LIB is set");
  });

  test("a TWILL_LIB that is not a shared library is reported", () => {
    const out = run({ TWILL_LIB: new URL("../package.json", import.meta.url).pathname });
    expect(out.message).toContain("package.json:");
  });

  test("without TWILL_LIB the build output comes before the system path", () => {
    const out = run({ TWILL_LIB: "" }, false);
    const c: string[] = out.candidates;
    expect(c[0].endsWith("/build/libtwill.so")).toBe(true);
    expect(c[0]).toBe(new URL("../../../build/libtwill.so", import.meta.url).pathname);
    expect(c.slice(1)).toEqual(["libtwill.so", "libtwill.so.0"]);
  });
});
