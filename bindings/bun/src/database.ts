/**
 * Database and Statement: the typed API over the C ABI.
 */
import { ptr } from "bun:ffi";
import { TwillError, ResultCode, resultCodeName } from "./errors.ts";
import { loadLibrary, type TwillSymbols } from "./ffi.ts";
import {
  packParams,
  parPtr,
  rowPtr,
  rowCap,
  rowSize,
  growRow,
  val,
  valBig,
  compileObjectBuilder,
  compileArrayBuilder,
  type SQLValue,
  type SQLOutput,
  type Row,
  type RowBuilder,
  type ValueReader,
} from "./values.ts";

const ROW = ResultCode.ROW;
const DONE = ResultCode.DONE;
const PACK_RESET = 1; // TWILL_PACK_RESET
const TXN_IDLE = 0;
const TXN_FAILED = 2;

export interface OpenOptions {
  /** Buffer pool size in MiB (the engine's default is 256). */
  cacheMb?: number;
  /** Create the database if it does not exist (default true). */
  create?: boolean;
  /**
   * Return every 64-bit integer as a bigint. By default an integer comes back as a
   * number when it is a safe integer (|n| <= 2^53 - 1) and as a bigint otherwise.
   */
  bigint?: boolean;
  /** How many statements `query()` keeps prepared, keyed by SQL text (default 128; 0 disables). */
  statementCacheSize?: number;
}

/** Result of Statement.run(). */
export interface RunResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
}

/** The connection state a Database shares with its statements. */
interface Conn {
  L: TwillSymbols;
  db: number; // twill_db*
  s: number; // twill_session*, 0 once closed
  bigint: boolean;
  url: string;
  /**
   * Bumped after anything that may change the schema (DDL, ROLLBACK, exec scripts).
   * The engine re-plans a statement whose tables changed, so its result columns may
   * differ: a statement re-reads its column names when the epoch moved.
   */
  epoch: number;
}

/** Command tags after which result columns of other statements may change. */
function changesSchema(tag: string | null): boolean {
  if (tag === null) return true;
  return tag !== "SELECT" && tag !== "INSERT" && tag !== "UPDATE" && tag !== "DELETE" && tag !== "BEGIN" && tag !== "COMMIT";
}

const handleOut = new BigUint64Array(2);
const handleOutPtr = ptr(handleOut);

function cstr(s: string): Buffer {
  return Buffer.from(s + "\0", "utf8");
}

function closedError(what: string): TwillError {
  return new TwillError(`${what} is closed`, { code: "08003", resultCode: ResultCode.MISUSE });
}

/** Builds the TwillError for a failed call on the session. */
function sessionError(c: Conn, rc: number, sql?: string): TwillError {
  const L = c.L;
  let msg = String(L.twill_errmsg(c.s));
  let code = String(L.twill_sqlstate(c.s));
  const pos = L.twill_errpos(c.s);
  if (!msg) msg = `${String(L.twill_errstr(rc))} (TWILL_${resultCodeName(rc)})`;
  if (code === "00000") code = rc === ResultCode.NOTSUP ? "0A000" : rc === ResultCode.CONFLICT ? "40001" : "XX000";
  return new TwillError(msg, { code, position: pos, resultCode: rc, sql });
}

/** A prepared statement. Create with Database.prepare(); free with finalize() (or `using`). */
export class Statement<T = Row> {
  #c: Conn;
  #h: number; // twill_stmt*, 0 once finalized
  #make: RowBuilder;
  #makeValues: RowBuilder | undefined;
  #v: ValueReader;
  #iterating = false;
  #names: string[] = [];
  #epoch: number;
  #schemaChange: boolean;
  /** The SQL text the statement was prepared from. */
  readonly sql: string;
  /** Number of parameters ($1..$n or ?) the statement takes. */
  readonly paramsCount: number;
  /** @internal */ _lastUse = 0;

  /** @internal Use Database.prepare(). */
  constructor(c: Conn, handle: number, sql: string) {
    this.#c = c;
    this.#h = handle;
    this.sql = sql;
    const L = c.L;
    this.paramsCount = L.twill_bind_parameter_count(handle);
    const tag = L.twill_stmt_command(handle);
    this.#schemaChange = changesSchema(tag === null ? null : String(tag));
    this.#epoch = c.epoch;
    this.#make = this.#readColumns();
    this.#v = c.bigint ? valBig : val;
  }

  /** Result column names, in order (empty for statements that return no rows). */
  get columnNames(): readonly string[] {
    return this.#names;
  }

  /** Reads the column names; returns the row builder for them. */
  #readColumns(): RowBuilder {
    const L = this.#c.L;
    const h = this.#h;
    const n = L.twill_column_count(h);
    const names: string[] = [];
    for (let i = 0; i < n; i++) names.push(String(L.twill_column_name(h, i)));
    const same = names.length === this.#names.length && names.every((x, i) => x === this.#names[i]);
    if (same && this.#make !== undefined) return this.#make;
    this.#names = names;
    this.#makeValues = undefined;
    return compileObjectBuilder(names);
  }

  /** The schema may have changed since the columns were read (the engine re-plans). */
  #recheckColumns() {
    this.#epoch = this.#c.epoch;
    this.#make = this.#readColumns();
  }

  /** Binds params (resetting the statement); returns the handle. */
  #bind(params: ArrayLike<unknown>): number {
    const h = this.#h;
    if (h === 0 || this.#c.s === 0) throw closedError(h === 0 ? "statement" : "database");
    if (this.#iterating)
      throw new TwillError("statement is being iterated: finish or break out of the loop before running it again", {
        code: "55006",
        sql: this.sql,
      });
    const n = params.length;
    // Pack first: packing may grow (move) the buffer, so read parPtr afterwards.
    const len = n === 0 ? 0 : packParams(params);
    const rc = this.#c.L.twill_bind_packed(h, n, parPtr, len);
    if (rc !== 0) throw sessionError(this.#c, rc, this.sql);
    return h;
  }

  /** Steps once; ROW (row in the row buffer), DONE, or throws. */
  #step(h: number, flags: number): number {
    const c = this.#c;
    const rc = c.L.twill_step_packed(h, rowPtr, rowCap, flags);
    if (rc === ROW) {
      if (rowSize() > rowCap) this.#refetch(h, flags);
      if (this.#epoch !== c.epoch) this.#recheckColumns();
      return ROW;
    }
    if (this.#schemaChange) c.epoch++;
    if (rc === DONE) {
      if (this.#epoch !== c.epoch) this.#recheckColumns();
      return DONE;
    }
    throw sessionError(c, rc, this.sql);
  }

  /** The row did not fit: grow the buffer and read it again. */
  #refetch(h: number, flags: number) {
    growRow(rowSize());
    const L = this.#c.L;
    L.twill_row_packed(h, rowPtr, rowCap);
    if (flags & PACK_RESET) L.twill_reset(h);
  }

  /** @internal all() with an array of parameters. */
  _all(params: ArrayLike<unknown>): T[] {
    const h = this.#bind(params);
    const out: T[] = [];
    const v = this.#v;
    while (this.#step(h, 0) === ROW) out.push(this.#make(v));
    return out;
  }

  /** Runs the statement and returns every row as an object keyed by column name. */
  all(...params: SQLValue[]): T[] {
    return this._all(spread(params));
  }

  /** Runs the statement and returns its first row, or null when there is none. */
  get(...params: SQLValue[]): T | null {
    const h = this.#bind(spread(params));
    return this.#step(h, PACK_RESET) === ROW ? this.#make(this.#v) : null;
  }

  /** Runs the statement to completion, discarding rows; returns the number of rows changed. */
  run(...params: SQLValue[]): RunResult {
    const h = this.#bind(spread(params));
    while (this.#step(h, 0) === ROW) {}
    return { changes: this.#c.L.twill_changes(h) };
  }

  /** Runs the statement and returns every row as an array of values, in column order. */
  values(...params: SQLValue[]): SQLOutput[][] {
    const h = this.#bind(spread(params));
    const v = this.#v;
    const out: SQLOutput[][] = [];
    while (this.#step(h, 0) === ROW) out.push((this.#makeValues ??= compileArrayBuilder(this.#names.length))(v));
    return out;
  }

  /**
   * Runs the statement and yields its rows one at a time, as they are read. Leaving the
   * loop early (break, return, throw) resets the statement. While the iteration is open
   * the statement cannot be run again.
   */
  *iterate(...params: SQLValue[]): Generator<T, void, undefined> {
    const h = this.#bind(spread(params));
    this.#iterating = true;
    try {
      const v = this.#v;
      while (this.#step(h, 0) === ROW) yield this.#make(v);
    } finally {
      this.#iterating = false;
      if (this.#h !== 0 && this.#c.s !== 0) this.#c.L.twill_reset(h);
    }
  }

  /** Frees the statement. Further use throws; finalizing twice is a no-op. */
  finalize(): void {
    const h = this.#h;
    if (h === 0) return;
    this.#h = 0;
    if (this.#c.s !== 0) this.#c.L.twill_finalize(h);
  }

  [Symbol.dispose](): void {
    this.finalize();
  }

  toString(): string {
    return this.sql;
  }
}

/** Parameters given as one array argument are the parameter list. */
function spread(params: SQLValue[]): ArrayLike<unknown> {
  return params.length === 1 && Array.isArray(params[0]) ? (params[0] as unknown[]) : params;
}

/** An open Twill database, with one session (a stream of transactions) on it. */
export class Database {
  #c: Conn;
  #cache = new Map<string, Statement<any>>();
  #cacheMax: number;
  #tick = 0;
  #txDepth = 0;
  #savepoints: boolean | undefined;
  /** The URL the database was opened with. */
  readonly url: string;

  /**
   * Opens (creating on first open, unless `create: false`) the database at `url`:
   * `file://PATH` (relative or absolute). A bare path is taken as `file://PATH`.
   */
  constructor(url: string, options: OpenOptions = {}) {
    const { symbols: L } = loadLibrary();
    if (typeof url !== "string" || url === "")
      throw new TwillError("open: url must be a non-empty string such as file://./app.db", { code: "22023" });
    const full = url.includes("://") ? url : `file://${url}`;
    const opts: string[] = [];
    if (options.cacheMb !== undefined) opts.push(`cache_mb=${options.cacheMb}`);
    if (options.create !== undefined) opts.push(`create=${options.create ? 1 : 0}`);
    const rc = L.twill_open(cstr(full), opts.length ? cstr(opts.join(" ")) : null, handleOutPtr);
    if (rc !== 0) {
      const msg = String(L.twill_open_errmsg()) || String(L.twill_errstr(rc));
      let code = String(L.twill_open_sqlstate());
      if (code === "00000") code = rc === ResultCode.NOTSUP ? "0A000" : "58000";
      throw new TwillError(`cannot open ${full}: ${msg}`, { code, resultCode: rc });
    }
    const db = Number(handleOut[0]);
    const rs = L.twill_session_open(db, handleOutPtr);
    if (rs !== 0) {
      L.twill_close(db);
      throw new TwillError(`cannot open a session on ${full}: ${String(L.twill_errstr(rs))}`, {
        code: "58000",
        resultCode: rs,
      });
    }
    this.#c = { L, db, s: Number(handleOut[0]), bigint: !!options.bigint, url: full, epoch: 0 };
    this.url = full;
    this.#cacheMax = Math.max(0, Math.floor(options.statementCacheSize ?? 128));
  }

  #live(): Conn {
    const c = this.#c;
    if (c.s === 0) throw closedError("database");
    return c;
  }

  /** True once close() has run. */
  get closed(): boolean {
    return this.#c.s === 0;
  }

  /** True while a transaction block is open (transaction(), or BEGIN run by hand). */
  get inTransaction(): boolean {
    const c = this.#live();
    return c.L.twill_transaction_status(c.s) !== TXN_IDLE;
  }

  /** Runs every statement of `sql` in turn (a script), discarding rows. */
  exec(sql: string): void {
    const c = this.#live();
    const rc = c.L.twill_exec(c.s, cstr(sql));
    c.epoch++;
    if (rc !== 0) throw sessionError(c, rc, sql);
  }

  /**
   * Prepares one statement. Placeholders are `$1`, `$2`, ... or `?` (numbered left to
   * right). Text with more than one statement is refused: use exec() for scripts.
   */
  prepare<T = Row>(sql: string): Statement<T> {
    const c = this.#live();
    if (typeof sql !== "string") throw new TwillError("prepare: sql must be a string", { code: "22023" });
    const text = cstr(sql);
    const base = ptr(text);
    const L = c.L;
    let rc = L.twill_prepare(c.s, base, -1, handleOutPtr, handleOutPtr + 8);
    if (rc !== 0) throw sessionError(c, rc, sql);
    const h = Number(handleOut[0]);
    if (h === 0) throw new TwillError("no SQL statement in the text given to prepare()", { code: "42601", sql });
    const tail = Number(handleOut[1]) - base;
    if (tail < text.length - 1) {
      rc = L.twill_prepare(c.s, base + tail, -1, handleOutPtr, 0);
      const h2 = Number(handleOut[0]);
      if (h2 !== 0) L.twill_finalize(h2);
      if (rc !== 0 || h2 !== 0) {
        L.twill_finalize(h);
        throw new TwillError("prepare() takes a single SQL statement; run scripts with exec()", {
          code: "42601",
          position: Buffer.from(text.subarray(0, tail)).toString().length + 1,
          sql,
        });
      }
    }
    return new Statement<T>(c, h, sql);
  }

  /** The cached prepared statement for sql (prepared on first use; bounded LRU). */
  #cached(sql: string): Statement<any> {
    let st = this.#cache.get(sql);
    if (st !== undefined) {
      st._lastUse = ++this.#tick;
      return st;
    }
    st = this.prepare(sql);
    if (this.#cacheMax > 0) {
      if (this.#cache.size >= this.#cacheMax) {
        let oldKey: string | undefined;
        let oldUse = Infinity;
        for (const [k, e] of this.#cache)
          if (e._lastUse < oldUse) {
            oldUse = e._lastUse;
            oldKey = k;
          }
        if (oldKey !== undefined) {
          this.#cache.get(oldKey)!.finalize();
          this.#cache.delete(oldKey);
        }
      }
      st._lastUse = ++this.#tick;
      this.#cache.set(sql, st);
    }
    return st;
  }

  /**
   * Runs one statement with `params` and returns its rows as objects keyed by column
   * name ([] for a statement without result rows). The prepared statement is kept in a
   * cache keyed by the SQL text, so running the same text again is not parsed again.
   */
  query<T = Row>(sql: string, params: readonly SQLValue[] = []): T[] {
    if (this.#c.s === 0) throw closedError("database");
    const st = this.#cached(sql);
    if (this.#cacheMax > 0) return st._all(params);
    try {
      return st._all(params);
    } finally {
      st.finalize();
    }
  }

  /** Number of statements held by the query() cache. */
  get cachedStatements(): number {
    return this.#cache.size;
  }

  /**
   * Runs fn inside a transaction: BEGIN, then COMMIT when fn returns, ROLLBACK when it
   * throws (the error is rethrown). Returns what fn returns. fn must be synchronous.
   * Nested calls run inside a SAVEPOINT: an inner call that throws rolls back to it (and
   * rethrows), so an outer function that catches the error can go on. (Against an older
   * libtwill without SAVEPOINT a nested call throws a TwillError with code 0A000.)
   */
  transaction<R>(fn: (db: this) => R): R {
    const c = this.#live();
    if (this.#txDepth > 0) return this.#nested(fn);
    if (c.L.twill_transaction_status(c.s) !== TXN_IDLE)
      throw new TwillError("transaction(): a transaction block is already open (BEGIN run through exec or query)", {
        code: "25001",
      });
    this.#run("BEGIN");
    this.#txDepth = 1;
    let result: R;
    try {
      result = fn(this);
      if (isThenable(result)) {
        throw new TwillError("transaction(): fn returned a Promise; transactions take a synchronous function", {
          code: "0A000",
        });
      }
    } catch (e) {
      this.#txDepth = 0;
      this.#rollbackQuietly();
      throw e;
    }
    this.#txDepth = 0;
    if (c.s === 0) throw closedError("database");
    if (c.L.twill_transaction_status(c.s) === TXN_FAILED) {
      this.#rollbackQuietly();
      throw new TwillError(
        "transaction(): a statement inside the transaction failed (and the error was caught), so the transaction was rolled back",
        { code: "25P02" },
      );
    }
    this.#run("COMMIT");
    return result;
  }

  #nested<R>(fn: (db: this) => R): R {
    if (!this.#supportsSavepoints())
      throw new TwillError(
        "nested transaction() needs SAVEPOINT, which this Twill SQL layer does not support yet; run the inner work in the outer transaction",
        { code: "0A000" },
      );
    const name = `twill_sp_${this.#txDepth}`;
    this.#run(`SAVEPOINT ${name}`);
    this.#txDepth++;
    try {
      const r = fn(this);
      if (isThenable(r))
        throw new TwillError("transaction(): fn returned a Promise; transactions take a synchronous function", {
          code: "0A000",
        });
      this.#txDepth--;
      this.#run(`RELEASE SAVEPOINT ${name}`);
      return r;
    } catch (e) {
      if (this.#txDepth > 0 && this.#c.s !== 0) {
        this.#txDepth--;
        try {
          this.#run(`ROLLBACK TO SAVEPOINT ${name}`);
          this.#run(`RELEASE SAVEPOINT ${name}`);
        } catch {
          // The outer transaction sees the original error.
        }
      }
      throw e;
    }
  }

  /** Probes (once, on a separate session, so that nothing here is disturbed) whether SAVEPOINT works. */
  #supportsSavepoints(): boolean {
    if (this.#savepoints !== undefined) return this.#savepoints;
    const L = this.#c.L;
    let ok = false;
    if (L.twill_session_open(this.#c.db, handleOutPtr) === 0) {
      const s = Number(handleOut[0]);
      ok =
        L.twill_exec(s, cstr("BEGIN; SAVEPOINT twill_probe; ROLLBACK TO SAVEPOINT twill_probe; RELEASE SAVEPOINT twill_probe")) === 0;
      L.twill_exec(s, cstr("ROLLBACK"));
      L.twill_session_close(s);
    }
    return (this.#savepoints = ok);
  }

  /** Runs a transaction-control statement through the cache. */
  #run(sql: string) {
    this.#cached(sql).run();
  }

  #rollbackQuietly() {
    const c = this.#c;
    if (c.s !== 0 && c.L.twill_transaction_status(c.s) !== TXN_IDLE) {
      try {
        this.#run("ROLLBACK");
        c.epoch++;
      } catch {
        // Keep the caller's error; the session rolls back on close in any case.
      }
    }
  }

  /**
   * Creates a copy-on-write branch of the database as of now. No storage backend
   * implements branching yet: this throws a TwillError with code 0A000 until one does.
   */
  branch(name: string): void {
    const c = this.#live();
    if (typeof name !== "string" || name === "")
      throw new TwillError("branch: name must be a non-empty string", { code: "22023" });
    const rc = c.L.twill_branch_create(c.db, cstr(name));
    if (rc === ResultCode.NOTSUP)
      throw new TwillError(`branch("${name}"): branching is not supported by this database's storage yet`, {
        code: "0A000",
        resultCode: rc,
      });
    if (rc !== 0)
      throw new TwillError(`branch("${name}"): ${String(c.L.twill_errstr(rc))}`, {
        code: rc === ResultCode.MISUSE ? "22023" : "58000",
        resultCode: rc,
      });
  }

  /** The engine's counters (commits, cache hits, ...) as numbers. */
  stats(): Record<string, number> {
    const c = this.#live();
    let buf = new Uint8Array(1024);
    let n = c.L.twill_db_stats(c.db, buf, buf.length);
    if (n >= buf.length) {
      // the text outgrew the buffer (the s3:// backend adds lines): ask again with room
      buf = new Uint8Array(n + 1);
      n = c.L.twill_db_stats(c.db, buf, buf.length);
    }
    const out: Record<string, number> = {};
    if (n < 0) return out;
    const text = Buffer.from(buf.subarray(0, Math.min(n, buf.length - 1))).toString();
    for (const line of text.split("\n")) {
      const [k, v] = line.split(" ");
      if (k && v !== undefined) out[k] = Number(v);
    }
    return out;
  }

  /**
   * Closes the database: rolls back an open transaction, frees every statement (also
   * those returned by prepare(), which then throw when used), checkpoints and closes.
   * Closing twice is a no-op.
   */
  close(): void {
    const c = this.#c;
    if (c.s === 0) return;
    const s = c.s;
    c.s = 0;
    this.#cache.clear();
    c.L.twill_session_close(s);
    const rc = c.L.twill_close(c.db);
    if (rc !== 0)
      throw new TwillError(`closing ${c.url} failed: ${String(c.L.twill_errstr(rc))}`, {
        code: "58000",
        resultCode: rc,
      });
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function isThenable(v: unknown): boolean {
  return v !== null && typeof v === "object" && typeof (v as { then?: unknown }).then === "function";
}

/** Opens a database; see Database's constructor. */
export function open(url: string, options?: OpenOptions): Database {
  return new Database(url, options);
}
