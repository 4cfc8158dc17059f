/**
 * Server-side query cursors behind `nextRecordsUrl`. Results are snapshotted when the query
 * runs, like a Salesforce query locator, so later writes don't shift pages.
 */

import { randomInt } from 'node:crypto';

const LOCATOR_CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Salesforce keeps a limited number of open cursors per user; old ones expire first. */
const MAX_OPEN_CURSORS = 50;

export interface QueryPage {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: Array<Record<string, unknown>>;
}

interface Cursor {
  rows: Array<Record<string, unknown>>;
  batchSize: number;
}

export class QueryCursors {
  private readonly cursors = new Map<string, Cursor>();

  clear(): void {
    this.cursors.clear();
  }

  private newLocator(): string {
    let id = '01g';
    for (let i = 0; i < 15; i += 1) id += LOCATOR_CHARS.charAt(randomInt(LOCATOR_CHARS.length));
    return id;
  }

  /** First page of a result; registers a cursor when more pages remain. */
  open(rows: Array<Record<string, unknown>>, batchSize: number, version: string): QueryPage {
    if (rows.length <= batchSize) return { totalSize: rows.length, done: true, records: rows };
    const locator = this.newLocator();
    this.cursors.set(locator, { rows, batchSize });
    while (this.cursors.size > MAX_OPEN_CURSORS) {
      const oldest = this.cursors.keys().next().value;
      if (oldest === undefined) break;
      this.cursors.delete(oldest);
    }
    return this.page(locator, 0, version) ?? { totalSize: rows.length, done: true, records: rows };
  }

  /** `locatorAndOffset` is the last path segment of nextRecordsUrl, e.g. `01gXXXX-2000`. */
  next(locatorAndOffset: string, version: string): QueryPage | null {
    const match = /^(01g[0-9A-Za-z]{15})-(\d+)$/.exec(locatorAndOffset);
    if (match === null || match[1] === undefined || match[2] === undefined) return null;
    return this.page(match[1], Number(match[2]), version);
  }

  private page(locator: string, offset: number, version: string): QueryPage | null {
    const cursor = this.cursors.get(locator);
    if (cursor === undefined || offset > cursor.rows.length) return null;
    const end = offset + cursor.batchSize;
    const records = cursor.rows.slice(offset, end);
    if (end >= cursor.rows.length) {
      this.cursors.delete(locator);
      return { totalSize: cursor.rows.length, done: true, records };
    }
    return {
      totalSize: cursor.rows.length,
      done: false,
      nextRecordsUrl: `/services/data/v${version}/query/${locator}-${end}`,
      records,
    };
  }
}
