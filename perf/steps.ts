// The docs/ENGINE.md workloads perf:engine knows, and how many training steps one repetition runs
// (about half a second each on a 2-core machine). Kept free of the engine so the perf driver,
// which only spawns the two sides, never loads libtorch; both sides get the count as an argument.
export const STEPS_PER_REP = { w1a: 100, w1b: 25, w2a: 60, w2b: 20, w3: 4, w4: 6 } as const;
export type WorkloadName = keyof typeof STEPS_PER_REP;
export const isWorkload = (name: string): name is WorkloadName => Object.hasOwn(STEPS_PER_REP, name);
