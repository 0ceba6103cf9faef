// Where quoted or forwarded text begins, in the languages mail clients write its header in —
// and where a writer's own "From:" line is not one.
import { describe, expect, it } from 'vitest';
import { quoteStart } from '../../src/message/quote-headers.ts';

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
  ])('finds the start of a quote: %s', (_name, text, line) => {
    expect(at(text)).toBe(line);
  });

  it.each([
    ['a leave request\'s dates', 'Signer 1: Erin <e@x>\nLeave period\nFrom: 2026-07-01\nUntil: 2026-07-14\nSigner 2: Mark <m@x>'],
    ['a "From:" line in a letter', 'From: the HR department\n\nPlease sign the attached.'],
    ['dashes around other words', '---------- terms below ----------\nSigner: Ann <a@x>'],
  ])('finds none in a writer\'s own text: %s', (_name, text) => {
    expect(at(text)).toBe(text.split('\n').length);
  });
});
