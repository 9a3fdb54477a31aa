/**
 * A reason the service cannot start that the operator can fix: what is wrong, where, and what to do.
 * main.ts prints it as one sentence and exits non-zero, without a stack (a stack tells an operator
 * nothing about a read-only volume).
 */
export class StartupError extends Error {
  constructor(
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${problem}: ${fix}`);
    this.name = 'StartupError';
  }
}
