// Configuration errors in the user's words: each problem names the flag or the file field as the
// user wrote it, the bad value and what is allowed ("--lr must be > 0, got -1"), not a schema path.
import type { z } from 'zod';

/** How a configuration path reads to the user (a flag, or a field of their file). */
export type Describe = (path: (string | number)[]) => string;

/** A camelCase option name as its flag: lrG → lr-g. */
export const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/** The `gantry train` flag of a run-configuration path: protocol.lrG → --lr-g, methodOptions.K → --opt K. */
export function flagOf(path: (string | number)[]): string {
  const [head, key] = path.map(String);
  if (head === 'methodOptions') return key ? `--opt ${key}` : '--opt';
  if (head === 'dataset' && key === 'name') return '--dataset';
  if ((head === 'protocol' || head === 'dataset') && key) return `--${kebab(key)}`;
  return `--${kebab(head)}`;
}

const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

/** One line per problem: "<name> must be …, got …". */
export function describeIssues(error: z.ZodError, describe: Describe = flagOf, prefix: (string | number)[] = []): string {
  return error.issues
    .map((i) => {
      const issue = i as z.core.$ZodIssue & { input?: unknown; minimum?: unknown; maximum?: unknown; inclusive?: boolean; expected?: string; keys?: string[]; values?: unknown[] };
      const name = describe([...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))]);
      const got = 'input' in issue && issue.input !== undefined ? `, got ${show(issue.input)}` : '';
      switch (issue.code) {
        case 'too_big':
          return `${name} must be ${issue.inclusive ? '≤' : '<'} ${issue.maximum}${got}`;
        case 'too_small':
          return `${name} must be ${issue.inclusive ? '≥' : '>'} ${issue.minimum}${got}`;
        case 'invalid_type':
          return issue.input === undefined ? `${name} is required` : `${name} must be ${issue.expected === 'int' ? 'a whole number' : `a ${issue.expected}`}${got}`;
        case 'unrecognized_keys':
          return issue.keys!.map((k) => `${describe([...prefix, ...issue.path.map(String), k])} is not a setting here`).join('; ');
        case 'invalid_format':
          return `${name} ${issue.message}${got}`;
        case 'invalid_value':
          return `${name} must be one of ${issue.values!.map(show).join(', ')}${got}`;
        default:
          return `${name}: ${issue.message}${got}`;
      }
    })
    .join('; ');
}
