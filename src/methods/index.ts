// The registry: method ids as the command line spells them.
import type { MethodSpec } from './base.js';
import { ali } from './ali.js';
import { began } from './began.js';
import { ebgan } from './ebgan.js';
import { gan } from './gan.js';
import { lsgan } from './lsgan.js';
import { nsgan } from './nsgan.js';
import { pacgan } from './pacgan.js';
import { regGan } from './reg-gan.js';
import { mdgan } from './mdgan.js';
import { ivgan } from './ivgan.js';
import { LENS_BASES, lensMethod } from './lens.js';
import { unrolled } from './unrolled.js';
import { veegan } from './veegan.js';
import { wgan } from './wgan.js';
import { wganGp } from './wgan-gp.js';

export * from './base.js';
export * from './adversarial.js';
export { ganDiscriminatorLoss, minimaxObjective, nonSaturatingLoss } from './gan.js';

const BASE: MethodSpec[] = [gan, nsgan, lsgan, wgan, wganGp, ebgan, began, unrolled, pacgan, ali, veegan, regGan, mdgan, ivgan];
export const METHODS: Record<string, MethodSpec> = Object.fromEntries(
  [...BASE, ...LENS_BASES.map((id) => lensMethod(BASE.find((m) => m.id === id)!))].map((m) => [m.id, m]),
);
export { LENS_BASES } from './lens.js';

export function getMethod(id: string): MethodSpec {
  const spec = METHODS[id];
  if (!spec) throw new Error(`unknown method '${id}': choose one of ${Object.keys(METHODS).join(', ')} (gantry methods lists them)`);
  return spec;
}

/** A method with some hyperparameters fixed: `wgan-gp:lambda=10:lr=0.001` on the command line. */
export interface MethodVariant {
  /** The spec as written; benchmark tables label rows with it. */
  label: string;
  id: string;
  options: Record<string, number | boolean>;
}

/**
 * One `key=value` method hyperparameter as the command line spells it (`--opt nCritic=5`, or a
 * variant's `:lambda=10`): a number or true/false. Null when it is not of that form.
 */
export function parseOption(text: string): [string, number | boolean] | null {
  const m = /^([A-Za-z]\w*)=(.+)$/.exec(text);
  if (!m) return null;
  const value = m[2] === 'true' ? true : m[2] === 'false' ? false : Number(m[2]);
  return typeof value === 'number' && !Number.isFinite(value) ? null : [m[1], value];
}

/**
 * Parses `id` or `id:key=value:key=value` and checks the options against the method's schema, so a
 * typo fails before any training starts.
 */
export function parseMethodVariant(text: string): MethodVariant {
  const [id, ...pairs] = text.split(':');
  const spec = getMethod(id);
  const options: Record<string, number | boolean> = {};
  for (const pair of pairs) {
    const option = parseOption(pair);
    if (!option) throw new Error(`invalid method variant '${text}': '${pair}' is not key=value with a number or true/false (e.g. wgan-gp:lambda=10)`);
    options[option[0]] = option[1];
  }
  const checked = spec.options.safeParse(options);
  if (!checked.success) {
    throw new Error(`invalid method variant '${text}': ${checked.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ')} (gantry methods lists the options)`);
  }
  return { label: text, id, options };
}

/**
 * Method variants with ablations: inside a variant, `|` separates the values of one option and every
 * combination becomes its own variant, in the order written (the last option varies fastest):
 * `reg-gan:lambda1=0|0.2:lambda2=0|0.4` gives four, `lens-gan:K=10000|100000` two. Each is checked.
 */
export function expandVariants(texts: readonly string[]): MethodVariant[] {
  const out: MethodVariant[] = [];
  for (const text of texts) {
    const [id, ...pairs] = text.split(':');
    let combos: string[][] = [[]];
    for (const pair of pairs) {
      const eq = pair.indexOf('=');
      const values = eq < 0 ? [pair] : pair.slice(eq + 1).split('|').map((v) => `${pair.slice(0, eq)}=${v}`);
      if (values.some((v) => v.endsWith('='))) throw new Error(`invalid method variant '${text}': '${pair}' has an empty value between '|'`);
      combos = combos.flatMap((c) => values.map((v) => [...c, v]));
    }
    for (const c of combos) out.push(parseMethodVariant([id, ...c].join(':')));
  }
  const seen = new Set<string>();
  return out.filter((v) => !seen.has(v.label) && !!seen.add(v.label));
}
