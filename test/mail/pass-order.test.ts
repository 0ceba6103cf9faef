// A listing's order: each sender's mails in UID order; senders turn by turn — a sender's turn
// going on from the mails it had handed over this pass — known senders first in each turn;
// at most perSender of one sender and maxQueue in all, the rest left for the next listing.
import { describe, expect, it } from 'vitest';
import { passOrder, type ListedMail } from '../../src/mail/pass-order.ts';

const mail = (uid: number, from?: string): ListedMail => ({ uid, envelope: from === undefined ? {} : { from: [{ address: from }] } });
const uids = (mails: ListedMail[]) => mails.map((m) => m.uid);

describe('passOrder', () => {
  it('takes the senders in turn, each one\'s mails in the order they came', () => {
    const listed = [mail(5, 'flood@corp.example'), mail(1, 'flood@corp.example'), mail(2, 'FLOOD@corp.example'), mail(3, 'flood@corp.example'), mail(4, 'helen@corp.example'), mail(6), mail(7, 'ann@corp.example')];
    expect(uids(passOrder(listed, { perSender: 10 }).queue)).toEqual([1, 4, 6, 7, 2, 3, 5]);
    expect(passOrder(listed, { perSender: 10 }).more).toBe(false);
  });

  it('leaves a sender\'s mails past perSender, and all past maxQueue, for the next listing, and says so', () => {
    const listed = [...Array.from({ length: 9 }, (_, i) => mail(i + 1, 'flood@corp.example')), mail(10, 'helen@corp.example')];
    expect(passOrder(listed, { perSender: 2 })).toEqual({ queue: [listed[0], listed[9], listed[1]], more: true });
    expect(passOrder([], { perSender: 2 })).toEqual({ queue: [], more: false });
    expect(passOrder([mail(1, 'a@x.example'), mail(2, 'a@x.example')], { perSender: 2 }).more).toBe(false);
    const many = Array.from({ length: 30 }, (_, i) => mail(i + 1, `x${i}@corp.example`));
    expect(passOrder(many, { perSender: 8, maxQueue: 8 })).toEqual({ queue: many.slice(0, 8), more: true });
    expect(passOrder(many.slice(0, 8), { perSender: 8, maxQueue: 8 })).toEqual({ queue: many.slice(0, 8), more: false });
  });

  it('takes the senders it knows first in each turn: a flood forging a new address each mail does not bury them', () => {
    const flood = Array.from({ length: 50 }, (_, i) => mail(i + 1, `x${i}@corp.example`));
    const listed = [...flood, mail(51, 'Helen@corp.example'), mail(52, 'helen@corp.example'), mail(53)];
    const known = (sender: string) => sender === 'helen@corp.example';
    expect(uids(passOrder(listed, { perSender: 1, known }).queue).slice(0, 3)).toEqual([51, 1, 2]);
    expect(uids(passOrder(listed, { perSender: 2, known }).queue).slice(0, 2)).toEqual([51, 1]);
    expect(uids(passOrder(listed, { perSender: 2, known }).queue).at(-1)).toBe(52); // its second mail in the second turn, the only one left
    expect(uids(passOrder(listed, { perSender: 1 }).queue).slice(0, 3)).toEqual([1, 2, 3]); // nobody known: the order mail came in
  });

  it('goes on with each sender\'s turn from what it had this pass: a new requester behind eight flooding senders comes next, not last', () => {
    // Eight senders, fifty mails each, then one mail of someone the daemon does not know.
    const flood = Array.from({ length: 400 }, (_, i) => mail(i + 1, `flood${i % 8}@corp.example`));
    const newcomer = mail(401, 'new.hire@corp.example');
    const handed = new Map<string, number>();
    const listing = (left: ListedMail[]) => passOrder(left, { perSender: 8, maxQueue: 8, handed: (sender) => handed.get(sender) ?? 0 });
    let left = [...flood, newcomer];
    const order: number[] = [];
    while (!order.includes(401)) {
      const { queue } = listing(left);
      for (const m of queue) {
        order.push(m.uid);
        const sender = m.envelope!.from![0]!.address!;
        handed.set(sender, (handed.get(sender) ?? 0) + 1);
      }
      left = left.filter((m) => !queue.includes(m));
    }
    expect(order.indexOf(401)).toBe(8); // after each flooding sender's first mail
  });
  it('takes a mailbox\'s +tag spellings for one sender, as the reply budget counts them', () => {
    const listed = [mail(1, 'victim+1@corp.example'), mail(2, 'Victim+2@corp.example'), mail(3, 'victim@corp.example'), mail(4, 'helen@corp.example')];
    expect(uids(passOrder(listed, { perSender: 1 }).queue)).toEqual([1, 4]);
  });
});
