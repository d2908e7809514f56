import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dirs: string[] = [];

/** A fresh file:// URL in a new temporary directory (removed by cleanup()). */
export function tempUrl(name = "db"): string {
  const dir = mkdtempSync(join(process.env.TWILL_TEST_TMP ?? tmpdir(), "twill-bun-"));
  dirs.push(dir);
  return `file://${join(dir, name)}`;
}

export function cleanup() {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}
