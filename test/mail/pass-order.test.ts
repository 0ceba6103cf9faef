// A pass's order: each sender's mails in UID order, senders in turn, at most perSender of
// each — the rest left for the next pass, which lists the folder afresh.
import { describe, expect, it } from 'vitest';
import { passOrder, type ListedMail } from '../../src/mail/pass-order.ts';

const mail = (uid: number, from?: string): ListedMail => ({ uid, envelope: from === undefined ? {} : { from: [{ address: from }] } });
const uids = (mails: ListedMail[]) => mails.map((m) => m.uid);

describe('passOrder', () => {
  it('takes the senders in turn, each one\'s mails in the order they came', () => {
    const listed = [mail(5, 'flood@corp.example'), mail(1, 'flood@corp.example'), mail(2, 'FLOOD@corp.example'), mail(3, 'flood@corp.example'), mail(4, 'helen@corp.example'), mail(6), mail(7, 'ann@corp.example')];
    expect(uids(passOrder(listed, 10).queue)).toEqual([1, 4, 6, 7, 2, 3, 5]);
    expect(passOrder(listed, 10).more).toBe(false);
  });

  it('leaves a sender\'s mails past perSender for the next pass, and says so', () => {
    const listed = [...Array.from({ length: 9 }, (_, i) => mail(i + 1, 'flood@corp.example')), mail(10, 'helen@corp.example')];
    expect(passOrder(listed, 2)).toEqual({ queue: [listed[0], listed[9], listed[1]], more: true });
    expect(passOrder([], 2)).toEqual({ queue: [], more: false });
    expect(passOrder([mail(1, 'a@x.example'), mail(2, 'a@x.example')], 2).more).toBe(false);
  });
  it('takes the senders it knows first in each turn: a flood forging a new address each mail does not bury them', () => {
    const flood = Array.from({ length: 50 }, (_, i) => mail(i + 1, `x${i}@corp.example`));
    const listed = [...flood, mail(51, 'Helen@corp.example'), mail(52, 'helen@corp.example'), mail(53)];
    const known = (sender: string) => sender === 'helen@corp.example';
    expect(uids(passOrder(listed, 1, known).queue).slice(0, 3)).toEqual([51, 1, 2]);
    expect(uids(passOrder(listed, 2, known).queue).slice(0, 2)).toEqual([51, 1]);
    expect(uids(passOrder(listed, 2, known).queue).at(-1)).toBe(52); // its second mail in the second turn, the only one left
    expect(uids(passOrder(listed, 1).queue).slice(0, 3)).toEqual([1, 2, 3]); // nobody known: the order mail came in
  });
  it('hands over at most maxQueue at once, saying more are left, so the folder is listed again soon', () => {
    const listed = Array.from({ length: 30 }, (_, i) => mail(i + 1, `x${i}@corp.example`));
    expect(passOrder(listed, 8, () => false, 8)).toEqual({ queue: listed.slice(0, 8), more: true });
    expect(passOrder(listed.slice(0, 8), 8, () => false, 8)).toEqual({ queue: listed.slice(0, 8), more: false });
  });
});
