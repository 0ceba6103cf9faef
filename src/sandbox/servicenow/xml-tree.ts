// A small, strict XML reader for the update set signrelay ships (deploy/servicenow/) and the
// record payloads inside it: elements, attributes, text, CDATA, comments and the XML
// declaration — nothing else. A DOCTYPE (and so any entity of one's own), an unknown entity,
// a mismatched or unclosed tag, or text outside the root is an error naming the offset, so a
// broken file fails its test instead of being half read. No dependency: the project has no
// XML parser, and this needs none of one's generality.

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (text and CDATA, entities decoded), children's text left out. */
  text: string;
}

const NAME = /[A-Za-z_][\w.:-]*/y;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export class XmlError extends Error {
  constructor(message: string, offset: number) {
    super(`${message} (at offset ${offset})`);
    this.name = 'XmlError';
  }
}

function decode(raw: string, offset: number): string {
  return raw.replace(/&([^;&\s]*);|&/g, (whole, entity: string | undefined, at: number) => {
    if (entity === undefined) throw new XmlError('a bare "&" (write &amp;)', offset + at);
    const numeric = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(entity);
    if (numeric) return String.fromCodePoint(Number(numeric[1]!.startsWith('x') ? `0${numeric[1]}` : numeric[1]));
    const named = ENTITIES[entity];
    if (named === undefined) throw new XmlError(`unknown entity &${entity};`, offset + at);
    return named;
  });
}

/** Parses a whole document; returns its root element. */
export function parseXml(source: string): XmlElement {
  let at = 0;
  const fail = (message: string): never => {
    throw new XmlError(message, at);
  };
  const expect = (literal: string) => {
    if (!source.startsWith(literal, at)) fail(`expected "${literal}"`);
    at += literal.length;
  };
  const skipSpace = () => {
    while (at < source.length && /\s/.test(source[at]!)) at++;
  };
  const name = (): string => {
    NAME.lastIndex = at;
    const match = NAME.exec(source);
    if (!match) return fail('expected a name');
    at += match[0].length;
    return match[0];
  };
  /** Comments and processing instructions between elements. */
  const skipMisc = () => {
    for (;;) {
      skipSpace();
      if (source.startsWith('<!--', at)) {
        const end = source.indexOf('-->', at + 4);
        if (end < 0) fail('an unclosed comment');
        at = end + 3;
      } else if (source.startsWith('<?', at)) {
        const end = source.indexOf('?>', at + 2);
        if (end < 0) fail('an unclosed processing instruction');
        at = end + 2;
      } else if (source.startsWith('<!', at)) {
        fail('a DOCTYPE or other declaration (not accepted)');
      } else {
        return;
      }
    }
  };

  const element = (): XmlElement => {
    expect('<');
    const tag = name();
    const attributes: Record<string, string> = {};
    for (;;) {
      skipSpace();
      if (source.startsWith('/>', at)) {
        at += 2;
        return { name: tag, attributes, children: [], text: '' };
      }
      if (source[at] === '>') {
        at++;
        break;
      }
      const attribute = name();
      if (attribute in attributes) fail(`attribute ${attribute} given twice`);
      skipSpace();
      expect('=');
      skipSpace();
      const quote = source[at];
      if (quote !== '"' && quote !== "'") fail('expected a quoted attribute value');
      const end = source.indexOf(quote!, at + 1);
      if (end < 0) fail('an unclosed attribute value');
      const raw = source.slice(at + 1, end);
      if (raw.includes('<')) fail('"<" in an attribute value');
      attributes[attribute] = decode(raw, at + 1);
      at = end + 1;
    }
    const children: XmlElement[] = [];
    let text = '';
    for (;;) {
      if (at >= source.length) fail(`<${tag}> is never closed`);
      if (source.startsWith('</', at)) {
        at += 2;
        const closing = name();
        if (closing !== tag) fail(`</${closing}> closes <${tag}>`);
        skipSpace();
        expect('>');
        return { name: tag, attributes, children, text };
      }
      if (source.startsWith('<![CDATA[', at)) {
        const end = source.indexOf(']]>', at + 9);
        if (end < 0) fail('an unclosed CDATA section');
        text += source.slice(at + 9, end);
        at = end + 3;
      } else if (source.startsWith('<!--', at) || source.startsWith('<?', at) || source.startsWith('<!', at)) {
        skipMisc();
      } else if (source[at] === '<') {
        children.push(element());
      } else {
        const end = source.indexOf('<', at);
        const stop = end < 0 ? source.length : end;
        const raw = source.slice(at, stop);
        if (raw.includes(']]>')) fail('"]]>" in text');
        text += decode(raw, at);
        at = stop;
      }
    }
  };

  if (source.charCodeAt(0) === 0xfeff) at = 1;
  skipMisc();
  if (source[at] !== '<') fail('expected the root element');
  const root = element();
  skipMisc();
  if (at < source.length) fail('content after the root element');
  return root;
}

/** The children named `name`. */
export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name);
}

/** The text of the one child named `name`; '' when it is empty or absent. Two of them is an error. */
export function childText(element: XmlElement, name: string): string {
  const found = childrenNamed(element, name);
  if (found.length > 1) throw new Error(`<${element.name}> has ${found.length} <${name}> fields`);
  return found[0]?.text ?? '';
}
