/** What `promise` rejected with, typed as the caller expects to inspect it; fails the test if it resolved. */
export async function rejectionOf<T>(promise: PromiseLike<unknown>): Promise<T> {
  try {
    await promise;
  } catch (err) {
    return err as T;
  }
  throw new Error('expected a failure');
}
