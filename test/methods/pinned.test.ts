// The method-layer redesign (shapes, families, the objective slot) must not move synthetic results:
// these are each method's last losses and two sample coordinates after 40 seeded steps, recorded
// with the code before the redesign (commit fcaa196) on the CPU of that session's machine.
//
// The tolerance: the same run on an AMD EPYC (Zen 4, AVX-512) differs from the Intel recording by
// at most 1.2e-7 absolute and 3.7e-6 relative (wgan's x0 = 0.002), i.e. a few float32 ulps grown
// over 40 steps (lsgan d 0.18464872241020203 vs 0.18464873731136322, veegan x0 0.15768492221832275
// vs 0.1576848328113556). |Δ| ≤ 1e-6 + 1e-5·|v| admits that with ~8x room and still catches a
// small real change: Adam's β2 scaled by 0.999 fails all ten Adam methods (moves 5e-6 to 1.7e-3,
// each at least twice its bound; wgan, on RMSprop, rightly passes).
import { describe, it } from 'vitest';
import { expectClose } from '../helpers.js';
import { buildRun } from '../../src/train/config.js';
import { manualSeed } from '../../src/torch/index.js';

const BEFORE: Record<string, { d: number; g: number; x0: number; x5: number }> = {
  gan: { d: 1.2677063941955566, g: -0.7221957445144653, x0: 0.39814648032188416, x5: 0.41823264956474304 },
  nsgan: { d: 1.3031904697418213, g: 0.723743200302124, x0: -0.3942042589187622, x5: 0.35115474462509155 },
  lsgan: { d: 0.18464872241020203, g: 0.2269062101840973, x0: 0.4612441956996918, x5: 0.51468825340271 },
  wgan: { d: -0.000017614103853702545, g: -0.010405024513602257, x0: 0.0020293667912483215, x5: 0.09185156971216202 },
  'wgan-gp': { d: -0.0956331118941307, g: -0.13859975337982178, x0: 0.013589315116405487, x5: 0.08908989280462265 },
  ebgan: { d: 2.790534734725952, g: 0.005966029595583677, x0: -0.27326205372810364, x5: -0.05088255554437637 },
  began: { d: 1.2259514331817627, g: 0.04313310980796814, x0: -0.18523597717285156, x5: -0.10347948223352432 },
  unrolled: { d: 1.2669792175292969, g: 0.6675323843955994, x0: 0.357966810464859, x5: 0.3754395842552185 },
  pacgan: { d: 1.2400332689285278, g: 0.7081299424171448, x0: 0.3684450387954712, x5: 0.3700159192085266 },
  ali: { d: 1.3127093315124512, g: 1.495319128036499, x0: -0.10314598679542542, x5: 0.0922645628452301 },
  veegan: { d: 1.342917799949646, g: 2.0063235759735107, x0: 0.15768492221832275, x5: -0.3250245451927185 },
};

describe('synthetic results did not move in the redesign', () => {
  for (const [id, want] of Object.entries(BEFORE)) {
    it(id, () => {
      const run = buildRun({
        method: id,
        steps: 40,
        seed: 7,
        evalEvery: 0,
        checkpointEvery: 0,
        evalSamples: 500,
        protocol: { batchSize: 32, hidden: [16, 16], ema: id === 'nsgan' ? 0.9 : 0 },
        methodOptions: id === 'unrolled' ? { unrollSteps: 2 } : {},
      });
      let last: Record<string, number> = {};
      run.trainer.on('step', ({ losses }) => (last = losses));
      run.trainer.run();
      manualSeed(99);
      const x = run.method.sample(8).toNumbers();
      expectClose({ d: last.d, g: last.g, x0: x[0], x5: x[5] }, want, { rtol: 1e-5, atol: 1e-6 });
    });
  }
});
