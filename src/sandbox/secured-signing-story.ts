// The demo's story in Secured Signing's words (see provider-story.ts), read from its
// simulator: the smart tags the stamp wrote, the access token and the uploads (with the
// tags the service read), SmartTag/Send and the signers it invited, the completion mail it
// sent to the [!Recipient] tag's address, and Download/GetDocumentData.
import { callLine, type ProviderMail, type ProviderStory, type ToldAt } from './provider-story.ts';
import type { SecuredSigningSimulator } from './secured-signing/server.ts';
import { parseSmartTags } from './secured-signing/smart-tags.ts';

export function securedSigningStory(sim: SecuredSigningSimulator): ProviderStory {
  const signedAt = (reference: string) => {
    const signed = sim.documents.get(reference)?.lastSignedDate;
    return signed ? Date.parse(signed) : Date.now();
  };
  const mailsOf = (reference: string) => sim.mails.filter((m) => m.reference === reference);
  const told = (m: { from: string; to: string; subject: string; attachmentName: string }) => `completion mail from ${m.from} to ${m.to}: "${m.subject}", attached ${m.attachmentName}`;

  return {
    stampedText(pages) {
      const lines = pages.flatMap((text, i) => {
        const tags = parseSmartTags(text);
        return [...tags.sign, ...tags.recipients].map((tag) => `page ${i + 1}  ${tag.text}`);
      });
      return { label: 'smart tags in the stamped PDF\'s text', lines };
    },

    uploaded(documents) {
      const details: string[] = [];
      const token = sim.calls.find((c) => c.path.endsWith('/oauth2/token'));
      if (token) details.push(`simulator: POST ${token.path} → ${token.status} (access token from the refresh token)`);
      for (const doc of documents) {
        const call = sim.calls.find((c) => c.file?.name === doc.uploadName && c.status === 200);
        if (!call) continue;
        const tags = call.tags ? `; tags it read: ${call.tags.sign.length} × [!Sign], ${call.tags.recipients.length} × [!Recipient]` : '';
        details.push(`simulator: POST ${call.path} → ${call.status} (${call.file!.size} bytes)${tags}`);
      }
      return { headline: `uploaded: Secured Signing reference ${documents.map((d) => d.reference ?? '?').join(', ')}`, details };
    },

    sent({ references }) {
      const call = sim.calls.find((c) => c.path.endsWith('/SmartTag/Send') && c.status === 200
        && JSON.stringify((c.body as { DocumentReferences?: unknown })?.DocumentReferences) === JSON.stringify(references));
      const details: string[] = [];
      for (const reference of references) {
        const doc = sim.documents.get(reference);
        if (!doc) continue;
        details.push(`simulator: document ${reference} is "${doc.status}", due ${doc.dueDate ?? '?'}`);
        for (const s of doc.signers) details.push(`  invitation to ${s.FirstName} ${s.LastName} <${s.Email}> (${s.SignedStatus})`);
      }
      const accepted = call ? `SmartTag/Send accepted by the simulator (HTTP ${call.status})` : 'recorded as sent (no SmartTag/Send call seen at the simulator)';
      return { headline: `sent for signing: ${accepted}`, details };
    },

    // Secured Signing mails the signers itself (not through the demo's mail servers); the only
    // mail it sends signrelay is the completed document, told with the signing (signed()).
    mails: ({ references }) => references.flatMap((reference) => mailsOf(reference).map((m): ProviderMail => ({
      at: signedAt(reference), to: m.to, toSignrelay: true, noun: 'completion mail', messageId: m.messageId, told: told(m),
    }))),
    mailing: () => false,
    mailed: () => Promise.resolve(),

    signingIntro: (who) => [
      `The signers sign: the Secured Signing simulator plays ${who}, and mails the completed document`,
      'to the return address the stamped PDF named; signrelay takes it from there',
    ],

    signed({ references }) {
      const steps: ToldAt[] = [];
      let problem: string | undefined;
      for (const reference of references) {
        const doc = sim.documents.get(reference);
        if (!doc) continue;
        const mails = mailsOf(reference);
        steps.push({
          at: signedAt(reference),
          headline: `simulator: ${doc.signers.map((s) => `${s.FirstName} ${s.LastName}`).join(' and ')} signed; document ${reference} is "${doc.status}"`,
          details: [`signed copy: ${doc.signedBytes?.length ?? 0} bytes (the upload with a "Signed by" page added), served by Download/GetDocumentData`, ...mails.map(told)],
        });
        if (mails.length === 0) problem ??= `the simulator sent no completion mail for ${reference} (no [!Recipient] tag in the document it received)`;
      }
      const first = references.flatMap(mailsOf)[0];
      return { steps, completion: problem || !first ? { problem: problem ?? 'the simulator knows none of the request\'s documents' } : { messageId: first.messageId } };
    },

    downloads({ references }, index) {
      const call = sim.calls.find((c) => c.method === 'GET' && c.path.endsWith(`/Download/GetDocumentData/${references[index]}`));
      return call ? [callLine(call)] : [];
    },
    servedCopy: ({ references }, index) => sim.documents.get(references[index] ?? '')?.signedBytes,

    waitingFor: { upload: 'the upload to the Secured Signing simulator', send: 'SmartTag/Send at the simulator' },
    referenceName: 'the Secured Signing reference',
  };
}
