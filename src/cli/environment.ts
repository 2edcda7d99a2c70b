// Checked before anything else loads (main.ts imports this first): a bad GANTRY_THREADS would
// otherwise fail while the libtorch binding loads, as an uncaught error with a stack trace.
const threads = process.env.GANTRY_THREADS;
if (threads !== undefined && !/^[1-9][0-9]*$/.test(threads.trim())) {
  console.error(`gantry: GANTRY_THREADS=${threads} is not a positive whole number: unset it (all cores) or set e.g. GANTRY_THREADS=2`);
  process.exit(1);
}
