// pdf-lib pauses for the event loop every 100 objects it parses and every 50 it writes, each
// pause a timer of at least a millisecond. In a PDF worker, which runs one task at a time and
// is watched from outside (pdf-pool.ts, task-deadline.ts), the pauses are only waiting: a
// 3 MB PDF of ~30,000 objects spent ~0.5 s of its 2 s stamp asleep. Load and save in one go.
import { ParseSpeeds } from 'pdf-lib';

/** Spread into PDFDocument.load's options. */
export const LOAD_WITHOUT_PAUSES = { parseSpeed: ParseSpeeds.Fastest } as const;
/** Spread into PDFDocument.save's options. */
export const SAVE_WITHOUT_PAUSES = { objectsPerTick: Number.POSITIVE_INFINITY } as const;
