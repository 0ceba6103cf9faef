// Reading markdown as GitHub renders it, for the docs' link check: the relative links of a
// file (outside code) and the anchors its headings get.

/** The file's lines, those inside fenced code blocks blanked (so line numbers stay). */
export function linesOutsideFences(markdown: string): string[] {
  const lines: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence !== undefined) {
      if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = undefined;
      lines.push('');
    } else {
      if (marker !== undefined) fence = marker;
      lines.push(marker !== undefined ? '' : line);
    }
  }
  return lines;
}

export interface Link {
  /** 1-based line of the link in its file. */
  line: number;
  target: string;
}

/** Every inline link and image `[text](target)` outside code (its text may run over lines). */
export function linksOf(markdown: string): Link[] {
  // Inline code spans keep their place (a link's text may be code) but not their content.
  const text = linesOutsideFences(markdown).map((line) => line.replace(/(`+)[^`]+?\1/g, 'code')).join('\n');
  const links: Link[] = [];
  for (const match of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const line = text.slice(0, match.index).split('\n').length;
    links.push({ line, target: match[1]! });
  }
  return links;
}

/** Whether a link leaves the repository (a scheme such as https: or mailto:, or //host). */
export function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');
}

/**
 * GitHub's anchor for a heading: its text as rendered (no code backticks, emphasis or link
 * targets), lowercased, every character that is not a letter, digit, mark, space, '-' or
 * '_' dropped, and each space turned into '-'.
 */
export function slugOf(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`/g, '')
    .replace(/(\*\*|__|\*)(.+?)\1/g, '$2');
  return text.trim().toLowerCase().replace(/[^\p{L}\p{N}\p{M}\p{Pc}\- ]/gu, '').replace(/ /g, '-');
}

/** The anchors a file's headings get (a repeated slug gets -1, -2… as on GitHub), and any explicit `<a id|name=…>`. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of linesOutsideFences(markdown)) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+\s*)?$/.exec(line);
    if (heading) {
      const slug = slugOf(heading[1]!);
      const count = seen.get(slug) ?? 0;
      seen.set(slug, count + 1);
      anchors.add(count === 0 ? slug : `${slug}-${count}`);
    }
    for (const match of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1]!);
  }
  return anchors;
}
