/**
 * Group commit: work submitted while a commit is in flight waits and goes into the next one,
 * so concurrent callers share commits (and the disk flush each commit costs) instead of
 * queueing for one each. Nothing waits on a timer: an idle queue commits a lone item at once.
 */

/** A batch's result for one item: its value, or the error that item alone failed with. */
export type ItemResult<Out> = { value: Out } | { error: unknown };

export interface GroupCommitOptions<In, Out> {
  /** Commits a batch in one transaction; one result per input, in order. */
  commit(inputs: In[]): Promise<ItemResult<Out>[]>;
  /**
   * Whether a failed batch's items should be retried one by one: true for an error one item
   * can cause (a value the database refuses), false for one that would fail them all alike
   * (the database is unreachable), so an outage does not double every caller's wait.
   */
  retryAlone(error: unknown): boolean;
  /** Bounds one statement's size (PostgreSQL takes at most 65,535 parameters). */
  maxBatch: number;
  /**
   * How many of the waiting items the next commit takes, when only some sizes of statement are
   * wanted (each size a prepared statement); the rest wait for the commit after. All, up to
   * maxBatch, unless set.
   */
  batchSize?(waiting: number): number;
  /**
   * Commits in flight at once, 1 unless set. One is fastest for pays: everything that arrives
   * during a commit goes into the next one, so batches grow with the load and the database does
   * one statement and one flush for many rows (decision 011: two or four in
   * flight made smaller batches and cost the server more per pay than they saved in waiting).
   */
  maxInFlight?: number;
}

interface Waiting<In, Out> {
  input: In;
  resolve(value: Out): void;
  reject(error: unknown): void;
}

export class GroupCommit<In, Out> {
  private queue: Waiting<In, Out>[] = [];
  private inFlight = 0;

  constructor(private readonly options: GroupCommitOptions<In, Out>) {}

  /** Resolves once this input's own rows are committed. */
  submit(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.pump();
    });
  }

  /** Starts a commit of whatever is waiting, while fewer than maxInFlight are under way. */
  private pump(): void {
    while (this.queue.length > 0 && this.inFlight < (this.options.maxInFlight ?? 1)) {
      this.inFlight++;
      const size = Math.min(this.options.batchSize?.(this.queue.length) ?? this.queue.length, this.options.maxBatch);
      void this.commitBatch(this.queue.splice(0, size)).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async commitBatch(batch: Waiting<In, Out>[]): Promise<void> {
    try {
      const results = await this.options.commit(batch.map((item) => item.input));
      for (const [index, item] of batch.entries()) settle(item, results[index]);
    } catch (error) {
      if (batch.length === 1 || !this.options.retryAlone(error)) {
        for (const item of batch) item.reject(error);
        return;
      }
      // One bad row must not fail the others: each goes again in a transaction of its own.
      await Promise.all(batch.map((item) => this.commitBatch([item])));
    }
  }
}

function settle<Out>(item: Waiting<unknown, Out>, result: ItemResult<Out> | undefined): void {
  if (result === undefined) item.reject(new Error('group commit: no result for an item'));
  else if ('error' in result) item.reject(result.error);
  else item.resolve(result.value);
}
