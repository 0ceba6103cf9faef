// Preloaded into a CLI child (`node --import ./fixed-clock.ts src/cli.ts …`) by tests whose
// fixtures carry absolute dates (`Due: 2026-12-24`): the child's clock starts at
// $SIGNRELAY_TEST_NOW and runs on from there, so those tests do not expire with the calendar.
// Only `new Date()`, `Date()` and `Date.now()` change; everything else is the real Date.
const fixed = process.env.SIGNRELAY_TEST_NOW;

if (fixed) {
  const start = Date.parse(fixed);
  if (Number.isNaN(start)) throw new Error(`SIGNRELAY_TEST_NOW is not a date: ${fixed}`);
  const RealDate = Date;
  const now = () => start + Math.floor(performance.now());
  globalThis.Date = new Proxy(RealDate, {
    construct: (target, args, newTarget) => Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget),
    apply: () => new RealDate(now()).toString(),
    get: (target, key, receiver) => (key === 'now' ? now : Reflect.get(target, key, receiver)),
  });
}
