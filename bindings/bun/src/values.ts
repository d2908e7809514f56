/**
 * JS <-> SQL values: packing parameters into, and reading rows out of, the packed
 * buffers of twill_bind_packed / twill_step_packed (ABI 3; layout in engine.h).
 *
 * The buffers are module-wide: JavaScript runs one call at a time per thread, every
 * row is turned into JS values before the next engine call, and Bun workers get their
 * own copy of this module.
 */
import { ptr } from "bun:ffi";
import { TwillError } from "./errors.ts";

/** A value that can be bound to a parameter. */
export type SQLValue =
  | number
  | bigint
  | string
  | boolean
  | null
  | undefined
  | Uint8Array
  | ArrayBufferView
  | ArrayBuffer
  | Date;

/** A value read from a result column. */
export type SQLOutput = number | bigint | string | boolean | null | Uint8Array;

/** A result row as an object keyed by column name. */
export type Row = Record<string, SQLOutput>;

export const T_NULL = 0;
export const T_INT64 = 1;
export const T_DOUBLE = 2;
export const T_TEXT = 3;
export const T_BLOB = 4;
export const T_BOOL = 5;
const PACK_ASCII = 0x100; // TWILL_PACK_ASCII in the record's flags byte
const TWO32 = 4294967296;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

// ---- the parameter buffer -------------------------------------------------------

let parCap = 0;
let parU8: Uint8Array;
let parBuf: Buffer;
let parI32: Int32Array;
let parU32: Uint32Array;
let parF64: Float64Array;
let parI64: BigInt64Array;
/** Address of the parameter buffer (changes when it grows). */
export let parPtr = 0;

function setPar(ab: ArrayBuffer) {
  parCap = ab.byteLength;
  parU8 = new Uint8Array(ab);
  parBuf = Buffer.from(ab);
  parI32 = new Int32Array(ab);
  parU32 = new Uint32Array(ab);
  parF64 = new Float64Array(ab);
  parI64 = new BigInt64Array(ab);
  parPtr = ptr(parU8);
}
setPar(new ArrayBuffer(4096));

function growPar(need: number) {
  let cap = parCap * 2;
  while (cap < need) cap *= 2;
  const old = parU8;
  setPar(new ArrayBuffer(cap));
  parU8.set(old);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return (v as object).constructor?.name ?? "object";
  return typeof v;
}

function bindError(i: number, msg: string): TwillError {
  return new TwillError(`cannot bind parameter $${i + 1}: ${msg}`, { code: "22023" });
}

/**
 * Packs params into the parameter buffer; returns the number of bytes used. Numbers
 * that are integers bind as int64 (if within range), others as double; Date binds as
 * its ISO 8601 text; Uint8Array / any ArrayBufferView / ArrayBuffer as a blob.
 */
export function packParams(params: ArrayLike<unknown>): number {
  const n = params.length;
  let data = n * 16;
  if (data > parCap) growPar(data);
  for (let i = 0; i < n; i++) {
    const v = params[i];
    const o = i << 2;
    switch (typeof v) {
      case "number":
        if (Number.isSafeInteger(v)) {
          const hi = Math.floor(v / TWO32);
          parI32[o] = T_INT64;
          parU32[o + 2] = v - hi * TWO32;
          parI32[o + 3] = hi;
        } else if (Number.isInteger(v) && v >= -9223372036854775808 && v < 9223372036854775808) {
          parI32[o] = T_INT64;
          parI64[(o >> 1) + 1] = BigInt(v);
        } else {
          parI32[o] = T_DOUBLE;
          parF64[(o >> 1) + 1] = v;
        }
        parU32[o + 1] = 0;
        break;
      case "string": {
        if (data + v.length * 3 > parCap) growPar(data + v.length * 3);
        const len = v.length === 0 ? 0 : parBuf.utf8Write(v, data);
        parI32[o] = T_TEXT;
        parU32[o + 1] = len;
        parU32[o + 2] = data;
        parU32[o + 3] = 0;
        data += len;
        break;
      }
      case "boolean":
        parI32[o] = T_BOOL;
        parU32[o + 1] = 0;
        parU32[o + 2] = v ? 1 : 0;
        parU32[o + 3] = 0;
        break;
      case "bigint":
        if (v < I64_MIN || v > I64_MAX) throw bindError(i, `bigint ${v} is outside the int64 range`);
        parI32[o] = T_INT64;
        parU32[o + 1] = 0;
        parI64[(o >> 1) + 1] = v;
        break;
      case "undefined":
        parI32[o] = T_NULL;
        break;
      case "object": {
        if (v === null) {
          parI32[o] = T_NULL;
          break;
        }
        if (v instanceof Date) {
          const t = v.getTime();
          if (Number.isNaN(t)) throw bindError(i, "invalid Date");
          const s = v.toISOString();
          if (data + s.length > parCap) growPar(data + s.length);
          const len = parBuf.latin1Write(s, data);
          parI32[o] = T_TEXT;
          parU32[o + 1] = len;
          parU32[o + 2] = data;
          parU32[o + 3] = 0;
          data += len;
          break;
        }
        let bytes: Uint8Array;
        if (ArrayBuffer.isView(v)) bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
        else if (v instanceof ArrayBuffer) bytes = new Uint8Array(v);
        else throw bindError(i, `unsupported value of type ${describe(v)}`);
        if (data + bytes.length > parCap) growPar(data + bytes.length);
        parU8.set(bytes, data);
        parI32[o] = T_BLOB;
        parU32[o + 1] = bytes.length;
        parU32[o + 2] = data;
        parU32[o + 3] = 0;
        data += bytes.length;
        break;
      }
      default:
        throw bindError(i, `unsupported value of type ${typeof v}`);
    }
  }
  return data;
}

// ---- the row buffer -------------------------------------------------------------

/** Capacity and address of the row buffer (both change when it grows). */
export let rowCap = 0;
export let rowPtr = 0;
let rowU8: Uint8Array;
let rowBuf: Buffer;
let rowI32: Int32Array;
let rowU32: Uint32Array;
let rowF64: Float64Array;
let rowI64: BigInt64Array;

function setRow(ab: ArrayBuffer) {
  rowCap = ab.byteLength;
  rowU8 = new Uint8Array(ab);
  rowBuf = Buffer.from(ab);
  rowI32 = new Int32Array(ab);
  rowU32 = new Uint32Array(ab);
  rowF64 = new Float64Array(ab);
  rowI64 = new BigInt64Array(ab);
  rowPtr = ptr(rowU8);
}
setRow(new ArrayBuffer(16384));

/** Bytes the last packed row needs (its header's `size`). */
export function rowSize(): number {
  return rowU32[0];
}

/** Grows the row buffer to at least `need` bytes (the current row is not kept). */
export function growRow(need: number) {
  let cap = rowCap * 2;
  while (cap < need) cap *= 2;
  setRow(new ArrayBuffer(cap));
}

/** Value of column c of the packed row; int64 as number when safe, else bigint. */
export function val(c: number): SQLOutput {
  const o = 4 + (c << 2);
  const t = rowI32[o];
  switch (t & 0xff) {
    case T_INT64: {
      const v = rowI32[o + 3] * TWO32 + rowU32[o + 2];
      return v <= MAX_SAFE && v >= -MAX_SAFE ? v : rowI64[(o >> 1) + 1];
    }
    case T_TEXT: {
      const off = rowU32[o + 2];
      const end = off + rowU32[o + 1];
      return t & PACK_ASCII ? rowBuf.latin1Slice(off, end) : rowBuf.utf8Slice(off, end);
    }
    case T_DOUBLE:
      return rowF64[(o >> 1) + 1];
    case T_BOOL:
      return rowU32[o + 2] !== 0;
    case T_BLOB: {
      const off = rowU32[o + 2];
      return rowU8.slice(off, off + rowU32[o + 1]);
    }
    default:
      return null;
  }
}

/** As val, but every int64 comes back as a bigint. */
export function valBig(c: number): SQLOutput {
  const o = 4 + (c << 2);
  if ((rowI32[o] & 0xff) === T_INT64) return rowI64[(o >> 1) + 1];
  return val(c);
}

export type ValueReader = (c: number) => SQLOutput;
export type RowBuilder = (v: ValueReader) => any;

/**
 * Compiles a function that builds one row object with the given column names (an
 * object literal of fixed shape, which the JIT handles best). Duplicate names: the
 * last column wins.
 */
export function compileObjectBuilder(names: readonly string[]): RowBuilder {
  if (names.includes("__proto__")) {
    // An object literal would set the prototype; define own properties instead.
    return (v) => {
      const o: Record<string, SQLOutput> = {};
      for (let i = 0; i < names.length; i++)
        Object.defineProperty(o, names[i], { value: v(i), enumerable: true, writable: true, configurable: true });
      return o;
    };
  }
  const body = `return {${names.map((n, i) => `${JSON.stringify(n)}: v(${i})`).join(", ")}};`;
  return new Function("v", body) as RowBuilder;
}

/** Compiles a function that builds one row as an array of values. */
export function compileArrayBuilder(n: number): RowBuilder {
  const items: string[] = [];
  for (let i = 0; i < n; i++) items.push(`v(${i})`);
  return new Function("v", `return [${items.join(", ")}];`) as RowBuilder;
}
