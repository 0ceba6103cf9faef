// Where quoted or forwarded text begins, in the languages mail clients write its header in —
// and where a writer's own "From:" line is not one.
import { describe, expect, it } from 'vitest';
import { lineKinds, quoteStart } from '../../src/message/quote-headers.ts';

const at = (text: string) => quoteStart(text.split('\n'));

describe('quoteStart', () => {
  it.each([
    ['Gmail, English', 'ok\n---------- Forwarded message ---------\nFrom: Bob <b@x>', 1],
    ['Gmail, Norwegian', 'ok\n---------- Videresendt melding ---------\nFra: Bob <b@x>', 1],
    ['Gmail, Finnish', 'ok\n---------- Välitetty viesti ---------\nLähettäjä: Bob', 1],
    ['Outlook, Danish header block', 'ok\n\nFra: Bob <b@x>\nSendt: 1. december 2026 10:00\nTil: Ann\nEmne: NDA', 2],
    ['Outlook, Italian header block', 'ok\nDa: Bob <b@x>\nInviato: lunedì\nA: Ann\nOggetto: NDA', 1],
    ['Outlook, English, a blank line inside', 'ok\nFrom: Bob <b@x>\n\nSent: Monday\nTo: Ann', 1],
    ['Apple Mail', 'ok\nBegin forwarded message:\n\nFrom: Bob', 1],
    ['a reply in German', 'ok\nAm 1.12.2026 schrieb Bob:\n> x', 1],
    ['On … wrote:', 'ok\nOn Mon, 1 Dec 2026, Bob <b@x> wrote:\n> x', 1],
    ['Lotus Notes, a forward', 'ok\n\n----- Forwarded by Ann Lee/CORP on 02.11.2026 10:00 -----\n\nBob Stone <b@x>', 2],
    ['Lotus Notes, a reply', 'ok\nBob Stone <b@x> wrote on 02.11.2026 09:55:\n> x', 1],
    ['Outlook, Russian header block', 'ok\nОт: Иван Петров <ivan@x>\nОтправлено: 3 декабря 2026 г. 10:00\nКому: Ann\nТема: NDA', 1],
    ['Outlook, Turkish header block', 'ok\nKimden: Ayşe <ayse@x>\nGönderildi: 3 Aralık 2026 Perşembe 10:00\nKime: Ann\nKonu: NDA', 1],
    ['a Zoho reply header between dashes', 'ok\n---- On Tue, 03 Dec 2026 10:00:00 +0000 Bob <b@x> wrote ----\n> x', 1],
    ['an attribution no pattern knows, right above a > quote', 'ok\nИван Петров пишет:\n> x', 1],
    ['Gmail\'s text part of a quoted Outlook header, in bold', 'ok\n\n*From:* Bob Stone <b@x>\n*Sent:* Monday, November 2, 2026 10:00 AM\n*To:* Ann Lee <a@x>', 2],
  ])('finds the start of a quote: %s', (_name, text, line) => {
    expect(at(text)).toBe(line);
  });

  it.each([
    ['a leave request\'s dates', 'Signer 1: Erin <e@x>\nLeave period\nFrom: 2026-07-01\nUntil: 2026-07-14\nSigner 2: Mark <m@x>'],
    ['a "From:" line in a letter', 'From: the HR department\n\nPlease sign the attached.'],
    ['dashes around other words', '---------- terms below ----------\nSigner: Ann <a@x>'],
    ['"wrote on" in a sentence of the writer\'s', 'As HR wrote on the form:\nSigner: Ann <a@x>'],
    ['a line ending in a colon above the writer\'s own lines', 'Signers below:\nSigner: Ann <a@x>'],
  ])('finds none in a writer\'s own text: %s', (_name, text) => {
    expect(at(text)).toBe(text.split('\n').length);
  });

  it('reads hostile lines in time linear in their length (ratios against plain lines of the same size, in the same run)', () => {
    // A line of dashes not closed by dashes, and "On … wrote" words without the colon: each
    // pattern tried on them once backtracked for a second per 2,000 characters.
    const sized = (line: string) => Array.from({ length: 20 }, () => line);
    const plain = sized('a'.repeat(3_000));
    const hostile = [sized(`${'-'.repeat(3_000)}x`), sized(`on ${'a '.repeat(1_500)}wrote x`), sized(`-- ${'-'.repeat(3_000)} x --`)];
    const fastest = (lines: string[]) => Math.min(...Array.from({ length: 5 }, () => {
      const start = performance.now();
      expect(quoteStart(lines)).toBe(lines.length);
      return performance.now() - start;
    }));
    const base = Math.max(fastest(plain), 0.05);
    for (const lines of hostile) expect(fastest(lines) / base).toBeLessThan(100);
  });
});

describe('lineKinds', () => {
  const kinds = (text: string) => lineKinds(text.split('\n')).map((k) => k[0]).join('');

  it.each([
    ['a top-posted reply', 'ok\nOn Mon, Bob <b@x> wrote:\n> x\n> y', 'oqqq'],
    ['a bottom-posted reply: the writer\'s text resumes after the quote', 'On Mon, Bob <b@x> wrote:\n> x\n\nmine\nmine', 'qqqoo'],
    ['replies between quoted parts', 'On Mon, Bob <b@x> wrote:\n> x\nmine\nAm 1.12.2026 schrieb Bob:\n\n> y\nmine', 'qqoqqqo'],
    ['a reply header whose quote is not marked: everything below', 'ok\nOn Mon, Bob <b@x> wrote:\nx\ny', 'oqqq'],
    ['a forward: everything below, > lines or not', 'ok\n---------- Forwarded message ---------\n> x\nmine?', 'oqqq'],
    ['an Outlook header block', 'ok\nFrom: Bob <b@x>\nSent: Monday\nTo: Ann\nx', 'oqqqq'],
    ['a signature up to the quote below it', 'ok\n-- \nAnn Lee\n\nOn Mon, Bob <b@x> wrote:\n> x', 'osssqq'],
    ['a signature after a bottom-posted reply', 'On Mon, Bob <b@x> wrote:\n> x\nmine\n--\nAnn', 'qqoss'],
    ['a header hidden behind invisible characters', 'ok\n\u200eOn Mon, Bob <b@x> wrote:\n> x', 'oqq'],
  ])('%s', (_name, text, expected) => {
    expect(kinds(text)).toBe(expected);
  });
});
