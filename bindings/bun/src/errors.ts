/**
 * TwillError: every failure the package reports — SQL errors from the engine, a
 * library that cannot be loaded, misuse of a closed handle — is one of these.
 */

/** Result codes of the C ABI (include/twill/engine.h). */
export const ResultCode = {
  OK: 0,
  ERROR: 1,
  MISUSE: 2,
  NOMEM: 3,
  IOERR: 4,
  CORRUPT: 5,
  BUSY: 6,
  CONFLICT: 7,
  RANGE: 8,
  NOTSUP: 9,
  FENCED: 10,
  ROW: 100,
  DONE: 101,
} as const;

const RESULT_NAMES: Record<number, string> = {
  0: "OK",
  1: "ERROR",
  2: "MISUSE",
  3: "NOMEM",
  4: "IOERR",
  5: "CORRUPT",
  6: "BUSY",
  7: "CONFLICT",
  8: "RANGE",
  9: "NOTSUP",
  10: "FENCED",
  100: "ROW",
  101: "DONE",
};

/** The name of a C result code ("BUSY", "NOTSUP", ...). */
export function resultCodeName(rc: number): string {
  return RESULT_NAMES[rc] ?? `code ${rc}`;
}

export interface TwillErrorInit {
  /** SQLSTATE, five characters, e.g. "42P01" (undefined table). */
  code: string;
  /** 1-based character position in the SQL text, when the engine knows it. */
  position?: number;
  /** The C ABI result code (TWILL_ERROR = 1, TWILL_BUSY = 6, ...), when one applies. */
  resultCode?: number;
  /** The SQL text the error is about, when there is one. */
  sql?: string;
}

export class TwillError extends Error {
  /** SQLSTATE, e.g. "42601" (syntax error), "23505" (unique violation), "0A000". */
  readonly code: string;
  /** 1-based character position in `sql` where the error was found, if known. */
  readonly position: number | undefined;
  /** The C ABI result code behind the error (0 when the error arose in JavaScript). */
  readonly resultCode: number;
  /** The statement text, if the error concerns one. */
  readonly sql: string | undefined;

  constructor(message: string, init: TwillErrorInit) {
    super(message);
    this.name = "TwillError";
    this.code = init.code;
    this.position = init.position && init.position > 0 ? init.position : undefined;
    this.resultCode = init.resultCode ?? 0;
    this.sql = init.sql;
  }
}
