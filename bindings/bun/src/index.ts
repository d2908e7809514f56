/**
 * @twilldb/bun — Twill DB embedded in Bun through bun:ffi.
 *
 *   import { open } from "@twilldb/bun";
 *   using db = open("file://./local.db");
 *   db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
 *   db.query("INSERT INTO notes VALUES (?, ?)", [1, "hello"]);
 *   db.query("SELECT id, body FROM notes"); // [{ id: 1, body: "hello" }]
 */
import { loadLibrary, libraryCandidates, REQUIRED_ABI } from "./ffi.ts";

export { open, Database, Statement } from "./database.ts";
export type { OpenOptions, RunResult } from "./database.ts";
export { TwillError, ResultCode, resultCodeName } from "./errors.ts";
export type { TwillErrorInit } from "./errors.ts";
export type { SQLValue, SQLOutput, Row } from "./values.ts";
export { libraryCandidates, REQUIRED_ABI };

/** Which libtwill is loaded (loading it if needed): path, ABI version, version string. */
export function libraryInfo(): { path: string; abiVersion: number; version: string } {
  const { path, abiVersion, version } = loadLibrary();
  return { path, abiVersion, version };
}
