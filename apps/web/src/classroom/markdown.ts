// A small Markdown reader for exercise instructions (scenario files: written by instructors, shown to
// students). It turns the text into plain data — blocks and inline spans — that Markdown.tsx renders
// as React elements; nothing is ever handed to the browser as HTML, so a `<script>` in a scenario is
// shown as text. The subset: ATX headings, paragraphs, bullet and numbered lists (one level; indented
// lines continue an item), fenced code, tables (GitHub's pipe tables), block quotes, `code`,
// **bold**, *em* / _em_, [links](url), backslash escapes.

export type Inline =
  | { t: 'text'; text: string }
  | { t: 'code'; text: string }
  | { t: 'strong'; children: Inline[] }
  | { t: 'em'; children: Inline[] }
  | { t: 'link'; href: string; children: Inline[] };

export type Block =
  | { t: 'heading'; level: 1 | 2 | 3 | 4 | 5 | 6; children: Inline[] }
  | { t: 'paragraph'; children: Inline[] }
  | { t: 'list'; ordered: boolean; start: number; items: Inline[][] }
  | { t: 'code'; lang: string; text: string }
  | { t: 'table'; align: Align[]; head: Inline[][]; rows: Inline[][][] }
  | { t: 'quote'; children: Block[] };

export type Align = 'left' | 'center' | 'right' | undefined;

/** Links a student may follow: web, mail, and addresses inside the app; never `javascript:` or `data:`. */
export function safeHref(url: string): string | undefined {
  const u = url.trim();
  // Control characters and spaces inside a scheme are how `java\tscript:` slips past naive checks.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(u)) return undefined;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(u);
  if (!scheme) return u.startsWith('//') ? undefined : u;
  return ['http', 'https', 'mailto'].includes(scheme[1]!.toLowerCase()) ? u : undefined;
}

const ESCAPABLE = new Set(['\\', '`', '*', '_', '[', ']', '(', ')', '#', '-', '+', '.', '!']);

function pushText(out: Inline[], text: string): void {
  if (!text) return;
  const last = out.at(-1);
  if (last?.t === 'text') last.text += text;
  else out.push({ t: 'text', text });
}

/** The inline spans of one block's text (line breaks inside a paragraph are spaces). */
export function parseInline(src: string): Inline[] {
  const out: Inline[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\' && i + 1 < src.length && ESCAPABLE.has(src[i + 1]!)) {
      pushText(out, src[i + 1]!);
      i += 2;
      continue;
    }
    if (c === '`') {
      const ticks = /^`+/.exec(src.slice(i))![0];
      const end = src.indexOf(ticks, i + ticks.length);
      if (end > 0) {
        out.push({ t: 'code', text: src.slice(i + ticks.length, end).replace(/^ (.*) $/, '$1') });
        i = end + ticks.length;
        continue;
      }
      pushText(out, ticks);
      i += ticks.length;
      continue;
    }
    if ((c === '*' && src[i + 1] === '*') || (c === '_' && src[i + 1] === '_')) {
      const mark = c + c;
      let end = src.indexOf(mark, i + 2);
      // `***` closes an em inside the strong first (`**now *please***`).
      while (end > 0 && src[end + 2] === c) end++;
      if (end > i + 2 && src[i + 2] !== ' ') {
        out.push({ t: 'strong', children: parseInline(src.slice(i + 2, end)) });
        i = end + 2;
        continue;
      }
    } else if (c === '*' || c === '_') {
      // `_` inside a word (snake_case, file_name) is not emphasis.
      const wordBefore = c === '_' && i > 0 && /\w/.test(src[i - 1]!);
      const end = findClosing(src, c, i + 1);
      if (!wordBefore && end > i + 1 && src[i + 1] !== ' ') {
        out.push({ t: 'em', children: parseInline(src.slice(i + 1, end)) });
        i = end + 1;
        continue;
      }
    } else if (c === '[') {
      const close = src.indexOf('](', i + 1);
      const end = close > 0 ? src.indexOf(')', close + 2) : -1;
      if (close > 0 && end > 0) {
        const href = safeHref(src.slice(close + 2, end));
        const children = parseInline(src.slice(i + 1, close));
        if (href !== undefined) out.push({ t: 'link', href, children });
        else {
          // an unsafe link keeps its words only
          for (const ch of children) {
            if (ch.t === 'text') pushText(out, ch.text);
            else out.push(ch);
          }
        }
        i = end + 1;
        continue;
      }
    }
    pushText(out, c);
    i++;
  }
  return out;
}

/** The closing single `*` or `_`, not part of a `**` pair and not right after a space. */
function findClosing(src: string, mark: string, from: number): number {
  for (let j = from; j < src.length; j++) {
    if (src[j] === '\\') {
      j++;
      continue;
    }
    if (src[j] === '`') {
      const end = src.indexOf('`', j + 1);
      if (end > 0) j = end;
      continue;
    }
    if (src[j] !== mark) continue;
    if (src[j + 1] === mark) {
      j++;
      continue;
    }
    if (src[j - 1] !== ' ' && !(mark === '_' && /\w/.test(src[j + 1] ?? ''))) return j;
  }
  return -1;
}

const FENCE = /^ {0,3}(```+|~~~+)\s*([\w+-]*)\s*$/;
const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const BULLET = /^ {0,3}[-*+]\s+(.*)$/;
const NUMBERED = /^ {0,3}(\d{1,9})[.)]\s+(.*)$/;
const BLANK = /^\s*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const TABLE_DELIMITER = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

/** The cells of a pipe-table row: split on `|` outside code spans and escapes, outer pipes dropped. */
export function tableCells(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let code = false;
  for (let j = 0; j < line.length; j++) {
    const ch = line[j]!;
    if (ch === '\\' && line[j + 1] === '|') {
      cell += '|';
      j++;
    } else if (ch === '`') {
      code = !code;
      cell += ch;
    } else if (ch === '|' && !code) {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  const trimmed = cells.map((c) => c.trim());
  if (line.trim().startsWith('|')) trimmed.shift();
  if (line.trim().endsWith('|') && !line.trim().endsWith('\\|')) trimmed.pop();
  return trimmed;
}

/** A table starts at a row with a pipe followed by a delimiter row with as many columns. */
function isTableStart(lines: string[], i: number): boolean {
  const head = lines[i];
  const delimiter = lines[i + 1];
  return (
    !!head &&
    !!delimiter &&
    head.includes('|') &&
    TABLE_DELIMITER.test(delimiter) &&
    tableCells(head).length === tableCells(delimiter).length
  );
}

/** The blocks of a Markdown text. */
export function parseMarkdown(text: string): Block[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (BLANK.test(line)) {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1]!;
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i]!.trim().startsWith(marker)) body.push(lines[i++]!);
      i++; // the closing fence (or the end of the text)
      blocks.push({ t: 'code', lang: fence[2] ?? '', text: body.join('\n') });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      blocks.push({
        t: 'heading',
        level: heading[1]!.length as 1 | 2 | 3 | 4 | 5 | 6,
        children: parseInline(heading[2]!),
      });
      i++;
      continue;
    }
    if (isTableStart(lines, i)) {
      const head = tableCells(line);
      const align: Align[] = tableCells(lines[i + 1]!).map((d) =>
        d.startsWith(':') && d.endsWith(':')
          ? 'center'
          : d.endsWith(':')
            ? 'right'
            : d.startsWith(':')
              ? 'left'
              : undefined,
      );
      const rows: Inline[][][] = [];
      i += 2;
      while (i < lines.length && !BLANK.test(lines[i]!) && lines[i]!.includes('|')) {
        const cells = tableCells(lines[i++]!);
        rows.push(head.map((_, c) => parseInline(cells[c] ?? '')));
      }
      blocks.push({ t: 'table', align, head: head.map((h) => parseInline(h)), rows });
      continue;
    }
    if (QUOTE.test(line)) {
      const body: string[] = [];
      while (i < lines.length && QUOTE.test(lines[i]!)) body.push(QUOTE.exec(lines[i++]!)![1]!);
      blocks.push({ t: 'quote', children: parseMarkdown(body.join('\n')) });
      continue;
    }
    const bullet = BULLET.exec(line);
    const numbered = NUMBERED.exec(line);
    if (bullet || numbered) {
      const ordered = !bullet;
      const marker = ordered ? NUMBERED : BULLET;
      const items: string[][] = [];
      while (i < lines.length) {
        const l = lines[i]!;
        const m = marker.exec(l);
        if (m) {
          items.push([(ordered ? m[2] : m[1])!]);
          i++;
        } else if (!BLANK.test(l) && /^\s+\S/.test(l) && items.length) {
          items.at(-1)!.push(l.trim()); // an indented line continues the item
          i++;
        } else if (BLANK.test(l) && i + 1 < lines.length && marker.exec(lines[i + 1]!)) {
          i++; // a blank line between items keeps one list
        } else break;
      }
      blocks.push({
        t: 'list',
        ordered,
        start: ordered ? Number(numbered![1]) : 1,
        items: items.map((it) => parseInline(it.join(' '))),
      });
      continue;
    }
    const para: string[] = [];
    while (
      i < lines.length &&
      !BLANK.test(lines[i]!) &&
      !FENCE.test(lines[i]!) &&
      !HEADING.test(lines[i]!) &&
      !BULLET.test(lines[i]!) &&
      !NUMBERED.test(lines[i]!) &&
      !QUOTE.test(lines[i]!) &&
      !(para.length > 0 && isTableStart(lines, i))
    ) {
      para.push(lines[i]!.trim());
      i++;
    }
    blocks.push({ t: 'paragraph', children: parseInline(para.join(' ')) });
  }
  return blocks;
}
