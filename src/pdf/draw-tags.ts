// Drawing smart tags onto pages, shared by both placement modes. A tag is always ONE text
// show operation on ONE line: a tag broken over two lines is no longer found by the signing
// service (it reads the text layer), so a long tag is drawn smaller instead of wrapped.
import { rgb, type PDFDocument, type PDFFont, type RGB } from 'pdf-lib';
import type { StampingConfig } from '../config/schema.ts';
import { SignrelayError } from '../errors.ts';

/** Below this a tag is refused rather than drawn (the config schema's own minimum). */
export const MIN_TAG_FONT_SIZE = 4;

/** `#rrggbb` (validated by the config schema) → pdf-lib colour. */
export function parseColor(hex: string): RGB {
  const n = Number.parseInt(hex.slice(1), 16);
  return rgb(((n >> 16) & 255) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255);
}

/** The largest size ≤ preferred at which the tag fits maxWidth; throws when under the minimum. */
export function fitTagSize(font: PDFFont, tag: string, maxWidth: number, preferredSize: number): number {
  const size = tagSizeWithin(font, tag, maxWidth, preferredSize);
  if (size === undefined) {
    throw new SignrelayError('input', 'tag_too_long',
      `the signature tag ${tag} is too long to fit on the page: use a shorter name or email address`);
  }
  return size;
}

/** The largest size ≤ preferred at which the tag fits maxWidth, or undefined when that is under the minimum. */
function tagSizeWithin(font: PDFFont, tag: string, maxWidth: number, preferredSize: number): number | undefined {
  const size = Math.min(preferredSize, Math.floor((maxWidth / font.widthOfTextAtSize(tag, 1)) * 10) / 10);
  return size < MIN_TAG_FONT_SIZE ? undefined : size;
}

export interface TagStyle {
  font: PDFFont;
  fontSize: number;
  color: RGB;
}

// Keeps the block clear of the page edge by a hair, so a viewer's crop does not cut it.
const EDGE_POINTS = 6;

/**
 * Overlay mode: tags drawn on one existing page at the configured position. `page` counts
 * from 1 (negative from the end) and is clamped to the document, so a short document still
 * gets its tags (on its first/last page) instead of being refused. (x, y) is the baseline
 * of the LAST tag, measured from the page's visible box (crop box) in its unrotated
 * coordinates; earlier tags stack upward `line_height` apart, so the block never runs below
 * y. A block that does not fit is a configuration error, not a reason to draw off the page.
 */
export function drawOverlayTags(doc: PDFDocument, tags: readonly string[], overlay: StampingConfig['overlay'], style: TagStyle): void {
  const count = doc.getPageCount();
  const wanted = overlay.page > 0 ? overlay.page - 1 : count + overlay.page;
  const index = Math.min(Math.max(wanted, 0), count - 1);
  const page = doc.getPage(index);
  const box = page.getCropBox();
  const top = overlay.y + (tags.length - 1) * overlay.line_height + style.fontSize;
  const maxWidth = box.width - overlay.x - EDGE_POINTS;
  // Each tag at the largest size that fits the line: one that fits at no readable size on a
  // small page (a card, a label) is the overlay not fitting this PDF, as a block too tall is.
  const sizes = maxWidth < box.width / 4 ? [] : tags.map((tag) => tagSizeWithin(style.font, tag, maxWidth, style.fontSize));
  if (top > box.height - EDGE_POINTS || sizes.length < tags.length || sizes.includes(undefined)) {
    throw new SignrelayError('config', 'overlay_off_page',
      `stamping.overlay puts ${tags.length} tags at x=${overlay.x}, y=${overlay.y} (line_height ${overlay.line_height}), ` +
      `which does not fit page ${index + 1} (${Math.round(box.width)}×${Math.round(box.height)} pt): lower x, y or line_height, or use mode signature-page`);
  }
  tags.forEach((tag, i) => {
    page.drawText(tag, {
      x: box.x + overlay.x,
      y: box.y + overlay.y + (tags.length - 1 - i) * overlay.line_height,
      font: style.font,
      size: sizes[i]!,
      color: style.color,
    });
  });
}
