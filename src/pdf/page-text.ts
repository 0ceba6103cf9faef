// Text drawn on a page signrelay adds — the request's subject, the document's file name,
// the requester, names — comes from outside, and a signing service reads every page's text
// for smart tags. Such text can never open a tag: brackets become parentheses after the
// same normalisation the tag scanner applies (find-tags.ts), so `[!Recipient…]`, `［！Sign…`
// or a `[` at the end of one line with `!Sign` on the next are all plain words.
import { tagScanText } from './find-tags.ts';

export function pageText(text: string): string {
  return tagScanText(text).replace(/\[/g, '(').replace(/\]/g, ')');
}
