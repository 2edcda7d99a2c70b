// Command-line value parsers shared by the benchmark scripts.
import { InvalidArgumentError } from 'commander';

export const positiveInt = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} takes a whole number of at least 1, got '${v}'`);
  return n;
};
