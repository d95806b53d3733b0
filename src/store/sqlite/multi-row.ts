import type { SqliteContext, SqlValue } from './connection.js';

/**
 * Rows per statement, at most. A batch of checkpoint writes holds up to 64 (the writer's
 * default), each of a few columns: far below SQLite's 32,766 parameters, and few enough SQL
 * texts (one per row count) to prepare each once. A longer list goes in several statements.
 */
const MAX_ROWS = 32;

/**
 * One statement over a VALUES list of any length: `head`, then `tuple` once per row, then
 * `tail`. The SQL for n rows is built once (here) and prepared once a connection
 * (SqliteContext.stmt), so a batch of checkpoint writes costs one statement run per kind of
 * row instead of one per row: binding, the VDBE's start and end and the JS↔C++ crossing are
 * paid once. Parameters are positional: binding an object of named ones looked each name up
 * on every run.
 */
export class MultiRowStatement<Row> {
  private readonly sqlByCount: string[] = [];

  constructor(
    private readonly head: string,
    private readonly tuple: string,
    private readonly tail: string,
    /** The row's values, in the order of the tuple's `?`s. */
    private readonly params: (row: Row) => SqlValue[],
  ) {}

  /** Runs the statement for every row (in order); returns the rows it changed. */
  run(ctx: SqliteContext, rows: readonly Row[]): number {
    let changes = 0;
    for (let from = 0; from < rows.length; from += MAX_ROWS) {
      const chunk = rows.slice(from, from + MAX_ROWS);
      changes += ctx.run(this.sql(chunk.length), ...this.values(chunk)).changes;
    }
    return changes;
  }

  /** The rows the statement returns, for every row given (in chunks of MAX_ROWS). */
  all<Result>(ctx: SqliteContext, rows: readonly Row[]): Result[] {
    const results: Result[] = [];
    for (let from = 0; from < rows.length; from += MAX_ROWS) {
      const chunk = rows.slice(from, from + MAX_ROWS);
      for (const result of ctx.all<Result>(this.sql(chunk.length), ...this.values(chunk))) results.push(result);
    }
    return results;
  }

  private values(rows: readonly Row[]): SqlValue[] {
    const values: SqlValue[] = [];
    for (const row of rows) for (const value of this.params(row)) values.push(value);
    return values;
  }

  private sql(count: number): string {
    let sql = this.sqlByCount[count];
    if (sql === undefined) {
      sql = `${this.head} ${Array.from({ length: count }, () => this.tuple).join(', ')} ${this.tail}`;
      this.sqlByCount[count] = sql;
    }
    return sql;
  }
}
