/**
 * An in-process queue: read-modify-write cycles of one store run one after another.
 *
 * The file lock already excludes other processes; this keeps the calls of one process from contending for
 * that lock among themselves (and polling for it), and keeps them in the order they were made.
 */
export type Queue = <T>(task: () => Promise<T>) => Promise<T>;

export function createQueue(): Queue {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task);
    tail = run.catch(() => {});
    return run;
  };
}
