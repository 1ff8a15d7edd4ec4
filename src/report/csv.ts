/**
 * Streaming CSV writer: csv-stringify piped into a file stream, one row at a time, so a run
 * of any length writes in constant memory. write() is synchronous (Recorder.record is) and
 * returns false once the stringifier's buffer is full; callers that can wait should then
 * `await drained()`. During a run attempts finish at most a few thousand per second and the
 * event loop turns between them, so the file keeps up without waiting; bulk writers (tests,
 * replays) use drained(). close() ends the stream and resolves when the file is flushed.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { LimitprobeError } from '../errors.js';
import { columnNames, toCells, type Column } from './columns.js';

export interface CsvWriter<T> {
  /** Queue one row. false = buffer full: await drained() before writing more if you can. */
  write(row: T): boolean;
  /** Resolves once the buffer has room again; rejects if writing to disk failed. */
  drained(): Promise<void>;
  /** Finish the file (header only if no rows). Rejects if any write to disk failed. */
  close(): Promise<void>;
  readonly rowsWritten: number;
}

export function openCsv<T>(path: string, columns: readonly Column<T>[]): CsvWriter<T> {
  const stringifier = stringify({ header: true, columns: columnNames(columns), eof: true });
  let failure: LimitprobeError | undefined;
  const done = pipeline(stringifier, createWriteStream(path)).catch((e: unknown) => {
    failure = new LimitprobeError('E_REPORT_WRITE', `cannot write ${path}: ${(e as Error).message}`, e);
  });
  let rows = 0;
  let closed = false;

  return {
    write(row: T): boolean {
      if (failure) throw failure;
      if (closed) throw new LimitprobeError('E_REPORT_WRITE', `cannot write ${path}: writer is closed`);
      rows++;
      return stringifier.write(toCells(columns, row));
    },
    async drained(): Promise<void> {
      if (stringifier.writableNeedDrain && !failure) {
        // Settle on drain, or on failure: then wait for `done`, which records the failure.
        await Promise.race([once(stringifier, 'drain').then(undefined, () => done), done]);
      }
      if (failure) throw failure;
    },
    async close(): Promise<void> {
      if (!closed) {
        closed = true;
        stringifier.end();
      }
      await done;
      if (failure) throw failure;
    },
    get rowsWritten() {
      return rows;
    },
  };
}
