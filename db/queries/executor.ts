/**
 * What a query runs on: the database, or a transaction a use case holds open. Queries take an
 * `Executor` first, so that a use case (app/_server/use-cases/) can run several of them, and its
 * NOTIFY, in one transaction of its own; queries never open a transaction that spans a use case.
 */
import type { Db } from '../client';

/** The transaction `db.transaction(async (tx) => …)` hands its callback. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export type Executor = Db | Tx;
