/**
 * Loading libtwill through bun:ffi, and the C symbols the package uses.
 *
 * Search order: $TWILL_LIB (a path to libtwill.so); the project's build output
 * (<repo>/build/libtwill.so, found relative to this package); the system library path
 * (libtwill.so, libtwill.so.0). A failure names every path tried and why it failed.
 */
import { dlopen, FFIType, suffix } from "bun:ffi";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import { TwillError } from "./errors.ts";

/** The ABI version this package needs (twill_abi_version() >= this). */
export const REQUIRED_ABI = 3;

const { ptr: P, i32, u64, cstring, i64_fast } = FFIType;

const SYMBOLS = {
  twill_abi_version: { args: [], returns: i32 },
  twill_version: { args: [], returns: cstring },
  twill_errstr: { args: [i32], returns: cstring },
  twill_open: { args: [P, P, P], returns: i32 },
  twill_open_errmsg: { args: [], returns: cstring },
  twill_open_sqlstate: { args: [], returns: cstring },
  twill_close: { args: [P], returns: i32 },
  twill_branch_create: { args: [P, P], returns: i32 },
  twill_session_open: { args: [P, P], returns: i32 },
  twill_session_close: { args: [P], returns: i32 },
  twill_exec: { args: [P, P], returns: i32 },
  twill_errmsg: { args: [P], returns: cstring },
  twill_sqlstate: { args: [P], returns: cstring },
  twill_errpos: { args: [P], returns: i32 },
  twill_transaction_status: { args: [P], returns: i32 },
  twill_prepare: { args: [P, P, i32, P, P], returns: i32 },
  twill_finalize: { args: [P], returns: i32 },
  twill_reset: { args: [P], returns: i32 },
  twill_bind_parameter_count: { args: [P], returns: i32 },
  twill_changes: { args: [P], returns: i64_fast },
  twill_column_count: { args: [P], returns: i32 },
  twill_column_name: { args: [P, i32], returns: cstring },
  twill_stmt_command: { args: [P], returns: cstring },
  // The size_t arguments of the packed calls are declared `ptr`: a 64-bit integer
  // register either way on every 64-bit ABI, and bun:ffi converts a number to a
  // pointer on its fast path, where u64/i64 arguments take the slower BigInt-aware one.
  twill_bind_packed: { args: [P, i32, P, P], returns: i32 },
  twill_step_packed: { args: [P, P, P, i32], returns: i32 },
  twill_row_packed: { args: [P, P, P], returns: i64_fast },
  twill_db_stats: { args: [P, P, u64], returns: i32 },
} as const;

export type TwillSymbols = ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];

export interface LoadedLibrary {
  /** The path (or bare name) the library was loaded from. */
  path: string;
  symbols: TwillSymbols;
  abiVersion: number;
  version: string;
}

let loaded: LoadedLibrary | undefined;

/** Where the library is looked for, in order (what `libraryCandidates()` returns). */
export function libraryCandidates(): string[] {
  const out: string[] = [];
  const env = process.env.TWILL_LIB;
  if (env) out.push(env);
  // <repo>/bindings/bun/src/ffi.ts -> <repo>/build/libtwill.so
  out.push(fileURLToPath(new URL(`../../../build/libtwill.${suffix}`, import.meta.url)));
  out.push(`libtwill.${suffix}`, `libtwill.${suffix}.0`);
  return out;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Loads libtwill (once per process); throws a TwillError naming every path tried. */
export function loadLibrary(): LoadedLibrary {
  if (loaded) return loaded;
  const tried: string[] = [];
  const envSet = !!process.env.TWILL_LIB;
  for (const [i, path] of libraryCandidates().entries()) {
    const isFile = path.includes("/");
    if (isFile && !existsSync(path)) {
      tried.push(`  ${path}: no such file`);
      // An explicit TWILL_LIB that does not exist is an error, not a hint to look
      // elsewhere: the caller asked for that library.
      if (i === 0 && envSet) break;
      continue;
    }
    let probe;
    try {
      probe = dlopen(path, { twill_abi_version: { args: [], returns: i32 } });
    } catch (e) {
      tried.push(`  ${path}: ${errorText(e)}`);
      if (i === 0 && envSet) break;
      continue;
    }
    const abi = probe.symbols.twill_abi_version();
    probe.close();
    if (abi < REQUIRED_ABI) {
      tried.push(`  ${path}: ABI version ${abi}, but @twilldb/bun needs ${REQUIRED_ABI} or later (rebuild libtwill)`);
      if (i === 0 && envSet) break;
      continue;
    }
    const lib = dlopen(path, SYMBOLS);
    loaded = {
      path,
      symbols: lib.symbols,
      abiVersion: abi,
      version: String(lib.symbols.twill_version()),
    };
    return loaded;
  }
  throw new TwillError(
    `@twilldb/bun: cannot load libtwill. Tried:\n${tried.join("\n")}\n` +
      (envSet
        ? "TWILL_LIB is set, so no other location was searched; fix or unset it."
        : "Build the project (make build), or set TWILL_LIB to the path of libtwill.so."),
    { code: "58000" },
  );
}
