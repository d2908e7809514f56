/**
 * bench/bun: the same workloads through @twilldb/bun and bun:sqlite, in one run.
 * Prints one line per metric:  METRIC twill=X sqlite=Y ratio=X/Y  (throughputs; a
 * ratio above 1 means Twill is faster). Run with --help for the options.
 */
import { Database as SqliteDatabase } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open, libraryInfo } from "../../bindings/bun/src/index.ts";

const HELP = `usage: bun bench/bun/bench.ts [--rows N] [--seconds S] [--rounds R] [--only METRIC] [--dir DIR]

Runs the same workloads through @twilldb/bun (file://, bun:ffi) and bun:sqlite (WAL,
synchronous=FULL, prepared statements) in one run and prints one line per metric:
  METRIC twill=X sqlite=Y ratio=X/Y
Every metric is a throughput, so ratio > 1 means Twill is faster.

Metrics:
  insert_txn_rows_per_s     N rows into t(id PK, k, v), one prepared INSERT per row,
                            all in one transaction(); the load of the table
  point_select_ops_per_s    stmt.get(id): SELECT k, v FROM t WHERE id = ?, random ids
  point_query_ops_per_s     db.query(sql, [id]) (statement cache by SQL text) /
                            bun:sqlite db.query(sql).get(id) (its cache), random ids
  scan_1k_rows_per_s        stmt.all(lo): SELECT id, k, v FROM t WHERE id >= ? AND
                            id < ? + 1000 (1000 rows as objects), random ranges

Options:
  --rows N      rows in t (default 100000)
  --seconds S   duration of each timed workload per engine (default 2)
  --rounds R    split each timed workload into R slices alternating between the
                engines, so noise hits both (default 4)
  --only M      run one metric (its name, or a prefix such as point_select)
  --dir DIR     where to create the scratch directory (default $TMPDIR or /tmp)
  --help        show this help

The library: $TWILL_LIB, else <repo>/build/libtwill.so, else the system path.`;

function parseArgs(argv: string[]) {
  const o = { rows: 100_000, seconds: 2, rounds: 4, only: "", dir: process.env.TMPDIR || tmpdir() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) die(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--help" || a === "-h") {
      console.log(HELP);
      process.exit(0);
    } else if (a === "--rows") o.rows = posInt(a, next());
    else if (a === "--seconds") o.seconds = posNum(a, next());
    else if (a === "--rounds") o.rounds = posInt(a, next());
    else if (a === "--only") o.only = next();
    else if (a === "--dir") o.dir = next();
    else die(`unknown argument ${a} (see --help)`);
  }
  if (o.rows < 1000) die("--rows must be at least 1000 (the scan reads 1000 rows)");
  return o;
}
function die(msg: string): never {
  console.error(`bench: ${msg}`);
  process.exit(2);
}
function posInt(name: string, v: string) {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) die(`${name} needs a positive integer, not "${v}"`);
  return n;
}
function posNum(name: string, v: string) {
  const n = Number(v);
  if (!(n > 0)) die(`${name} needs a positive number, not "${v}"`);
  return n;
}

const opt = parseArgs(process.argv.slice(2));
const wanted = (m: string) => !opt.only || m.startsWith(opt.only);

// A deterministic generator so both engines see the same keys.
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}
const value = (i: number) => `value-${i}-${"x".repeat(i % 24)}`;

interface Side {
  name: string;
  load(n: number): void;
  pointGet(id: number): unknown;
  pointQuery(id: number): unknown;
  scan(lo: number): unknown[];
  close(): void;
}

function twillSide(dir: string): Side {
  const db = open(`file://${join(dir, "twill.db")}`);
  db.exec("CREATE TABLE t (id BIGINT PRIMARY KEY, k BIGINT NOT NULL, v TEXT NOT NULL)");
  const ins = db.prepare("INSERT INTO t VALUES (?, ?, ?)");
  const get = db.prepare("SELECT k, v FROM t WHERE id = ?");
  const scan = db.prepare("SELECT id, k, v FROM t WHERE id >= $1 AND id < $1 + 1000");
  return {
    name: "twill",
    load(n) {
      db.transaction(() => {
        for (let i = 0; i < n; i++) ins.run(i, i * 7, value(i));
      });
    },
    pointGet: (id) => get.get(id),
    pointQuery: (id) => db.query("SELECT k, v FROM t WHERE id = ?", [id])[0],
    scan: (lo) => scan.all(lo),
    close: () => db.close(),
  };
}

function sqliteSide(dir: string): Side {
  const db = new SqliteDatabase(join(dir, "sqlite.db"), { create: true });
  db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-262144");
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER NOT NULL, v TEXT NOT NULL)");
  const ins = db.prepare("INSERT INTO t VALUES (?, ?, ?)");
  const get = db.prepare("SELECT k, v FROM t WHERE id = ?");
  const scan = db.prepare("SELECT id, k, v FROM t WHERE id >= ?1 AND id < ?1 + 1000");
  return {
    name: "sqlite",
    load(n) {
      db.transaction(() => {
        for (let i = 0; i < n; i++) ins.run(i, i * 7, value(i));
      })();
    },
    pointGet: (id) => get.get(id),
    pointQuery: (id) => db.query("SELECT k, v FROM t WHERE id = ?").get(id),
    scan: (lo) => scan.all(lo),
    close: () => db.close(),
  };
}

/** Runs op for about `seconds` in total, alternating slices; returns ops/s per side. */
function timed(sides: Side[], units: number, op: (s: Side, r: () => number) => void): number[] {
  const total = sides.map(() => ({ ops: 0, ns: 0 }));
  const slice = (opt.seconds * 1e9) / opt.rounds;
  const rand = sides.map(() => rng(12345));
  // Warm-up: JIT and caches, both sides.
  sides.forEach((s, i) => {
    for (let k = 0; k < 2000; k++) op(s, rand[i]);
  });
  for (let round = 0; round < opt.rounds; round++) {
    sides.forEach((s, i) => {
      const t0 = Bun.nanoseconds();
      let ops = 0;
      let now = t0;
      while (now - t0 < slice) {
        for (let k = 0; k < 256; k++) op(s, rand[i]);
        ops += 256;
        now = Bun.nanoseconds();
      }
      total[i].ops += ops;
      total[i].ns += now - t0;
    });
  }
  return total.map((t) => (t.ops * units * 1e9) / t.ns);
}

function report(metric: string, [tw, sq]: number[]) {
  console.log(`${metric} twill=${tw.toFixed(1)} sqlite=${sq.toFixed(1)} ratio=${(tw / sq).toFixed(3)}`);
}

const scratch = mkdtempSync(join(opt.dir, "twill-bench-bun-"));
try {
  const info = libraryInfo();
  console.error(`bench: bun ${Bun.version}, libtwill ${info.version} (ABI ${info.abiVersion}) at ${info.path}`);
  console.error(`bench: ${opt.rows} rows, ${opt.seconds}s per workload per engine in ${opt.rounds} rounds`);
  const sides = [twillSide(scratch), sqliteSide(scratch)];

  // The load is the insert workload: one transaction of opt.rows single-row INSERTs.
  const loadRates = sides.map((s) => {
    const t0 = Bun.nanoseconds();
    s.load(opt.rows);
    return (opt.rows * 1e9) / (Bun.nanoseconds() - t0);
  });
  if (wanted("insert_txn_rows_per_s")) report("insert_txn_rows_per_s", loadRates);

  const n = opt.rows;
  if (wanted("point_select_ops_per_s")) report("point_select_ops_per_s", timed(sides, 1, (s, r) => s.pointGet(r() % n)));
  if (wanted("point_query_ops_per_s")) report("point_query_ops_per_s", timed(sides, 1, (s, r) => s.pointQuery(r() % n)));
  if (wanted("scan_1k_rows_per_s")) {
    // Check once that both return the same rows (a benchmark of wrong answers is void).
    const a = JSON.stringify(sides[0].scan(n - 1000));
    const b = JSON.stringify(sides[1].scan(n - 1000));
    if (a !== b) die("the engines disagree on the scan's rows");
    report("scan_1k_rows_per_s", timed(sides, 1000, (s, r) => s.scan(r() % (n - 1000))));
  }
  for (const s of sides) s.close();
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
