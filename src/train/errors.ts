// Configuration errors in the user's words: each problem names the flag or the file field as the
// user wrote it, the bad value and what is allowed ("--lr must be > 0, got -1"), not a schema path.
import type { z } from 'zod';

/** How a configuration path reads to the user (a flag, or a field of their file). */
export type Describe = (path: (string | number)[]) => string;

/** A camelCase option name as its flag: lrG → lr-g. */
export const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/** The `gantry train` flag of a run-configuration path: protocol.lrG → --lr-g, methodOptions.K → --opt K. */
export function flagOf(path: (string | number)[]): string {
  if (path.length === 0) return 'the configuration';
  const [head, key] = path.map(String);
  if (head === 'methodOptions') return key ? `--opt ${key}` : '--opt';
  if (head === 'dataset' && key === 'name') return '--dataset';
  if ((head === 'protocol' || head === 'dataset') && key) return `--${kebab(key)}`;
  return `--${kebab(head)}`;
}

const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v));

/** The settings a schema allows at a path (for "is not a setting here"), when known. */
export type KeysAt = (path: (string | number)[]) => string[] | undefined;

/** The keys of the object schema at `path` inside `schema` (through optional and default wrappers). */
export function keysOf(schema: z.ZodType): KeysAt {
  return (path) => {
    let s = schema as unknown as { shape?: Record<string, unknown>; unwrap?: () => unknown; def?: { innerType?: unknown } };
    for (const key of [...path, null]) {
      while (!s.shape && (s.def?.innerType || s.unwrap)) s = (s.def?.innerType ?? s.unwrap!()) as typeof s;
      if (!s.shape) return undefined;
      if (key === null) return Object.keys(s.shape);
      s = s.shape[String(key)] as typeof s;
      if (!s) return undefined;
    }
    return undefined;
  };
}

/** One line per problem: "<name> must be …, got …". */
export function describeIssues(error: z.ZodError, describe: Describe = flagOf, prefix: (string | number)[] = [], keysAt?: KeysAt): string {
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
        case 'unrecognized_keys': {
          const allowed = keysAt?.(issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)));
          const list = allowed ? ` (the settings here: ${allowed.join(', ')})` : '';
          return issue.keys!.map((k) => `${describe([...prefix, ...issue.path.map(String), k])} is not a setting here${list}`).join('; ');
        }
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
