// Whether pdf-lib and a PDF reader would read the same objects in a file. pdf-lib parses the
// file from start to end and keeps the last definition of each object; pdf.js, poppler, qpdf
// and Acrobat follow the cross-reference tables from the last `startxref`. An object defined
// again after that, with no table of its own, is read only by pdf-lib: the requester saw
// "EUR 1,000" in every viewer, and the stamped copy pdf-lib wrote — signed, filed on the
// record — said "EUR 100,000", or named another signer (fuzz review M3). A legitimate
// incremental update (a form saved by Acrobat, a signed PDF) has a table for every update.
// Pure, on what pdf-lib-load.ts recorded while parsing.

/** What pdf-lib's parser met at the file's top level, in the file's order. */
export type FileSection =
  /** An object defined, at this byte offset. */
  | { kind: 'object'; number: number; generation: number; offset: number }
  /** A cross-reference table: each in-use entry's "N G" and the offset it names. */
  | { kind: 'xref'; offsets: () => ReadonlyMap<string, number> }
  | { kind: 'startxref' };

/**
 * Why pdf-lib and readers would read the file differently, or undefined: an object defined
 * after the file's last `startxref`; or, when the file's tables are all its cross-reference
 * (`tablesOnly`: no cross-reference stream, whose entries pdf-lib cannot decode), an object
 * defined twice where the newest table naming it names an earlier definition than the last
 * (the one nearest the offset it names: producers' offsets are often a few bytes off).
 */
export function xrefDisagreement(sections: readonly FileSection[], options: { tablesOnly: boolean }): string | undefined {
  let last = sections.length - 1;
  while (last >= 0 && sections[last]!.kind !== 'startxref') last--;
  if (last >= 0) {
    const after = sections.slice(last + 1).find((s) => s.kind === 'object');
    if (after) return `object ${after.number} ${after.generation} is defined after the file's last startxref`;
  }
  if (!options.tablesOnly) return undefined;
  // Numbers first (most files define none twice: a set of integers, no keys built).
  const numbers = new Set<number>();
  const twice = new Set<number>();
  for (const section of sections) {
    if (section.kind !== 'object') continue;
    if (numbers.has(section.number)) twice.add(section.number);
    else numbers.add(section.number);
  }
  if (twice.size === 0) return undefined;
  const definitions = new Map<string, number[]>();
  for (const section of sections) {
    if (section.kind !== 'object' || !twice.has(section.number)) continue;
    const key = `${section.number} ${section.generation}`;
    const offsets = definitions.get(key);
    if (offsets) offsets.push(section.offset);
    else definitions.set(key, [section.offset]);
  }
  const redefined = [...definitions].filter(([, offsets]) => offsets.length > 1);
  if (redefined.length === 0) return undefined;
  const tables = sections.flatMap((s) => (s.kind === 'xref' ? [s] : [])).reverse().map((table) => {
    let offsets: ReadonlyMap<string, number> | undefined;
    return () => (offsets ??= table.offsets());
  });
  for (const [key, offsets] of redefined) {
    const named = tables.map((table) => table().get(key)).find((offset) => offset !== undefined);
    // Named by no table: nothing to compare with (a reader reaches it only by rebuilding the
    // table from the file, which takes the last definition, as pdf-lib does).
    if (named === undefined) continue;
    const nearest = offsets.reduce((best, offset) => (Math.abs(offset - named) < Math.abs(best - named) ? offset : best));
    if (nearest !== offsets.at(-1)) return `object ${key} is defined again after the definition the cross-reference table names`;
  }
  return undefined;
}
