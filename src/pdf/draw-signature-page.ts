// Signature-page mode: pages appended after the document listing the request, each signer
// with their tag and room to sign, and the completion-recipient tag. Appended pages never
// cover the requester's content. They take the size the document's last page is displayed
// at (its crop box, rotation applied), or A4 portrait when that is no size to sign on: too
// small for a readable layout, too short for a signer's block (a wide slide strip), or past
// 1.5 × A3 (a phone photo exported to PDF is 3024×4032 pt: its 10 pt tags were 0.2 % of the
// page, under 3 px in a browser pane). When the content does not fit one page it continues on another.
import { degrees, PageSizes, type PDFDocument, type PDFPage, rgb } from 'pdf-lib';
import type { TagFonts } from './tag-font.ts';
import { printable } from './tag-font.ts';
import { fitTagSize, type TagStyle } from './draw-tags.ts';
import { pageText } from './page-text.ts';
import { visualUnits } from './bidi-runs.ts';
import { cut } from '../outside-text.ts';

/** Every value here is outside text: drawn only through pageText, never able to form a tag. */
export interface SignaturePageDetails {
  /** The document's file name as the requester sent it. */
  fileName?: string;
  /** The request mail's subject. */
  subject?: string;
  title?: string;
  record?: string;
  requester?: string;
  route?: string;
  /** Already formatted for people, e.g. 2026-12-24. */
  due?: string;
}

export interface SignaturePageContent {
  details: SignaturePageDetails;
  token: string;
  /** Empty when the document carries its own [!Sign.] tags; without `tag` for a provider that reads none. */
  signers: ReadonlyArray<{ name: string; email: string; tag?: string }>;
  /** null for a provider that reads no tags. */
  recipientTag: string | null;
}

const MIN_PAGE_SIDE = 300;
/** 1.5 × A3's long side: past it a page is a poster or a photo, and 10 pt tags on it a speck. */
const MAX_PAGE_SIDE = 1.5 * PageSizes.A3[1];
/** What a page no size to sign on gives way to. */
const FALLBACK_SIZE: [number, number] = [...PageSizes.A4];
const TEXT = rgb(0, 0, 0);
const MUTED = rgb(0.35, 0.35, 0.35);

interface Layout {
  doc: PDFDocument;
  fonts: TagFonts;
  size: [number, number];
  margin: number;
  fontSize: number;
  page: PDFPage;
  y: number;
}

/**
 * The appended pages' size: the document's last page as displayed (signature-page mode), or
 * A4 portrait when that is too small, too short for one signer's block, or too large.
 * `fontSize`: stamping.font_size.
 */
export function signaturePageSize(doc: PDFDocument, fontSize: number): [number, number] {
  const last = doc.getPage(doc.getPageCount() - 1);
  const { width, height } = displayedBox(last);
  const quarterTurn = Math.abs(last.getRotation().angle) % 180 === 90;
  const [w, h] = quarterTurn ? [height, width] : [width, height];
  if (Math.min(w, h) < MIN_PAGE_SIDE || Math.max(w, h) > MAX_PAGE_SIDE || h < firstSignerHeight(w, fontSize)) return FALLBACK_SIZE;
  return [w, h];
}

/** The part of the media box the crop box shows: what a viewer displays (a crop box past the media box is cut to it). */
function displayedBox(page: PDFPage): { width: number; height: number } {
  const media = page.getMediaBox();
  const crop = page.getCropBox();
  const span = (a: number, aLength: number, b: number, bLength: number) =>
    Math.max(0, Math.min(Math.max(a, a + aLength), Math.max(b, b + bLength)) - Math.max(Math.min(a, a + aLength), Math.min(b, b + bLength)));
  return { width: span(media.x, media.width, crop.x, crop.width), height: span(media.y, media.height, crop.y, crop.height) };
}

/** A page `width` wide is margined like this (drawSignaturePages). */
function marginFor(width: number): number {
  return Math.min(72, Math.max(36, width * 0.1));
}

/** The size the pages' own text is drawn at (tags may be smaller to fit). */
function textSizeFor(fontSize: number): number {
  return Math.min(fontSize, 14);
}

/** The room below a signer's tag to sign in. */
function signatureRoomFor(textSize: number): number {
  return Math.max(48, textSize * 4);
}

/** The height a page needs to hold its heading, the Signers heading and one signer's block, margins included (drawSignaturePages). */
function firstSignerHeight(width: number, fontSize: number): number {
  const size = textSizeFor(fontSize);
  return 2 * marginFor(width) + size * 1.6 * 1.6 + (size * 1.2 * 1.6 + size) + size * 4 + signatureRoomFor(size);
}

function newPage(layout: Layout, continued: boolean): void {
  layout.page = layout.doc.addPage(layout.size);
  // A crop box and a rotation are inherited from the page tree: a document whose tree crops
  // its pages to a small window (Ghostscript's extracts) or turns them would crop or turn the
  // signature page too — its tags cut off for the signing service. The page names its own.
  layout.page.setCropBox(0, 0, layout.size[0], layout.size[1]);
  layout.page.setRotation(degrees(0));
  layout.y = layout.size[1] - layout.margin;
  heading(layout, continued ? 'Signatures (continued)' : 'Signatures', 1.6);
}

/** Moves down by `height`, starting a new page first when that would cross the margin. */
function advance(layout: Layout, height: number): void {
  if (layout.y - height < layout.margin) newPage(layout, true);
  layout.y -= height;
}

function heading(layout: Layout, text: string, scale = 1.2): void {
  const size = layout.fontSize * scale;
  // A section heading gets air above it; the page heading sits at the top margin.
  const gap = scale < 1.5 ? layout.fontSize : 0;
  advance(layout, size * 1.6 + gap);
  layout.page.drawText(text, { x: layout.margin, y: layout.y, size, font: layout.fonts.bold, color: TEXT });
}

/** Word-wraps display text (never tags) to the page width; the text can form no tag (page-text.ts). */
function wrap(layout: Layout, text: string, width: number, size: number): string[] {
  const font = layout.fonts.regular;
  const lines: string[] = [];
  let line = '';
  for (const word of printable(pageText(text)).split(' ').filter(Boolean)) {
    const candidate = line ? `${line} ${word}` : word;
    if (font.widthOfTextAtSize(candidate, size) <= width || !line) line = candidate;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  // A single word wider than the page: cut it by characters, each cut found by halving (a
  // character at a time, a 3,000-character word took seconds).
  return lines.flatMap((l) => {
    const parts: string[] = [];
    let rest = l;
    while (font.widthOfTextAtSize(rest, size) > width && rest.length > 1) {
      let fits = 1;
      let over = rest.length;
      while (over - fits > 1) {
        const mid = (fits + over) >> 1;
        if (font.widthOfTextAtSize(rest.slice(0, mid), size) > width) over = mid;
        else fits = mid;
      }
      parts.push(rest.slice(0, fits));
      rest = rest.slice(fits);
    }
    return [...parts, rest];
  });
}

function paragraph(layout: Layout, text: string, options: { indent?: number; scale?: number; color?: typeof TEXT } = {}): void {
  const size = layout.fontSize * (options.scale ?? 1);
  const x = layout.margin + (options.indent ?? 0);
  for (const line of wrap(layout, text, layout.size[0] - layout.margin - x, size)) {
    advance(layout, size * 1.45);
    // Right-to-left text beside left-to-right: each unit drawn on its own, in the order seen (bidi-runs.ts).
    let at = x;
    for (const unit of visualUnits(line)) {
      layout.page.drawText(unit.text, { x: at, y: layout.y, size, font: layout.fonts.regular, color: options.color ?? TEXT });
      at += layout.fonts.regular.widthOfTextAtSize(unit.text, size);
    }
  }
}

function tagLine(layout: Layout, tag: string, style: TagStyle, indent: number): void {
  const x = layout.margin + indent;
  const size = fitTagSize(style.font, tag, layout.size[0] - layout.margin - x, style.fontSize);
  advance(layout, size * 1.8);
  layout.page.drawText(tag, { x, y: layout.y, size, font: style.font, color: style.color });
}

/** A detail's most characters on the page: a subject may be as long as a header block, and the page shows its start. */
const MAX_DETAIL_CHARS = 300;

/** The details the page lists, label and value, each cut to its bound. */
function detailRows(content: SignaturePageContent): Array<[string, string]> {
  const d = content.details;
  const rows: Array<[string, string | undefined]> = [
    ['Document', d.fileName], ['Title', d.title], ['Subject', d.subject], ['Record', d.record], ['Requested by', d.requester],
    ['Route', d.route], ['Sign by', d.due], ['Reference', content.token],
  ];
  return rows.flatMap(([label, value]) => (value ? [[label, cut(value, MAX_DETAIL_CHARS)] as [string, string]] : []));
}

function details(layout: Layout, content: SignaturePageContent): void {
  const rows = detailRows(content);
  const labelWidth = Math.max(...rows.map(([label]) => layout.fonts.bold.widthOfTextAtSize(label, layout.fontSize))) + layout.fontSize;
  for (const [label, value] of rows) {
    advance(layout, layout.fontSize * 1.45);
    layout.page.drawText(label, { x: layout.margin, y: layout.y, size: layout.fontSize, font: layout.fonts.bold, color: TEXT });
    layout.y += layout.fontSize * 1.45; // the value's first line shares the label's baseline
    paragraph(layout, value, { indent: labelWidth });
  }
}

/**
 * Every text the pages draw, as they draw it (their own wording aside, which is ASCII): what
 * a font must be able to draw (embed-fonts.ts fontFor).
 */
export function signaturePageTexts(content: SignaturePageContent): string[] {
  const shown = [...detailRows(content).map(([, value]) => value), ...content.signers.map((s) => `${s.name} <${s.email}>`)]
    .map((value) => printable(pageText(value)));
  const tags = [...content.signers.flatMap((s) => (s.tag ? [s.tag] : [])), ...(content.recipientTag ? [content.recipientTag] : [])];
  return [...shown, ...tags];
}

/** Adds the signature pages to `doc`, `size` each (signaturePageSize). */
export function drawSignaturePages(doc: PDFDocument, content: SignaturePageContent, fonts: TagFonts, tagStyle: TagStyle, size: [number, number]): void {
  const layout: Layout = { doc, fonts, size, margin: marginFor(size[0]), fontSize: textSizeFor(tagStyle.fontSize), page: undefined!, y: 0 };
  newPage(layout, false);
  paragraph(layout, content.recipientTag
    ? 'This page was added for electronic signing. The signing service turns each bracketed tag into a place to sign; please leave the tags as they are.'
    : 'This page was added for electronic signing: it lists who is asked to sign, in order. The signing service shows each signer where to sign.', { scale: 0.9, color: MUTED });
  advance(layout, layout.fontSize);
  details(layout, content);

  heading(layout, 'Signers');
  if (content.signers.length === 0) paragraph(layout, 'The places to sign are marked in the document itself.');
  const signatureRoom = signatureRoomFor(layout.fontSize);
  content.signers.forEach((signer, i) => {
    // Keep a signer's line, tag and signing room together on one page.
    if (layout.y - (layout.fontSize * 4 + signatureRoom) < layout.margin) newPage(layout, true);
    paragraph(layout, `${i + 1}. ${signer.name} <${signer.email}>`);
    if (signer.tag) tagLine(layout, signer.tag, tagStyle, layout.fontSize);
    advance(layout, signatureRoom);
  });

  heading(layout, 'Completed document');
  paragraph(layout, 'The signed document is returned to signrelay, which files it with the request.');
  if (content.recipientTag) tagLine(layout, content.recipientTag, tagStyle, 0);
}
