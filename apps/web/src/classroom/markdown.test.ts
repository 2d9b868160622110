import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Markdown } from './Markdown';
import { parseInline, parseMarkdown, safeHref } from './markdown';

const html = (text: string) => renderToStaticMarkup(createElement(Markdown, { text }));

describe('parseInline', () => {
  it('reads code, bold, em and links, nested', () => {
    expect(parseInline('run `ip link` **now *please*** and [docs](https://x.org/a)')).toEqual([
      { t: 'text', text: 'run ' },
      { t: 'code', text: 'ip link' },
      { t: 'text', text: ' ' },
      { t: 'strong', children: [{ t: 'text', text: 'now ' }, { t: 'em', children: [{ t: 'text', text: 'please' }] }] },
      { t: 'text', text: ' and ' },
      { t: 'link', href: 'https://x.org/a', children: [{ t: 'text', text: 'docs' }] },
    ]);
  });
  it('keeps markers inside code literal, and snake_case words whole', () => {
    expect(parseInline('`a*b*c` my_var_name')).toEqual([
      { t: 'code', text: 'a*b*c' },
      { t: 'text', text: ' my_var_name' },
    ]);
  });
  it('leaves unclosed markers and escapes as text', () => {
    expect(parseInline('2 * 3 and \\*not em\\* and `open')).toEqual([{ t: 'text', text: '2 * 3 and *not em* and `open' }]);
  });
  it('drops an unsafe link, keeping its words', () => {
    expect(parseInline('[click](javascript:void 0)')).toEqual([{ t: 'text', text: 'click' }]);
    expect(html('[click](javascript:alert(1))')).not.toContain('href');
    expect(html('[x](JaVaScRiPt:alert(1))')).not.toContain('href');
    expect(html('[x](data:text/html,hi)')).not.toContain('href');
  });
});

describe('safeHref', () => {
  it('allows web, mail and in-app addresses only', () => {
    expect(safeHref('https://example.org')).toBe('https://example.org');
    expect(safeHref('mailto:a@b.c')).toBe('mailto:a@b.c');
    expect(safeHref('/class')).toBe('/class');
    expect(safeHref('#checks')).toBe('#checks');
    expect(safeHref('javascript:alert(1)')).toBeUndefined();
    expect(safeHref(' javascript:alert(1)')).toBeUndefined();
    expect(safeHref('java\tscript:alert(1)')).toBeUndefined();
    expect(safeHref('vbscript:x')).toBeUndefined();
    expect(safeHref('//evil.example/x')).toBeUndefined();
  });
});

describe('parseMarkdown', () => {
  it('reads the blocks of a scenario (link-down)', () => {
    const text = [
      'Two containers, `web` and `db`, hang off the bridge `br0`.',
      '`web` cannot reach `db`.',
      '',
      '1. Open a terminal in `web`.',
      '2. Look at every interface: `ip -br link` in each container, and the bridge ports',
      '   in the **Kernel tables** panel.',
      '3. Fix it.',
      '',
    ].join('\n');
    const blocks = parseMarkdown(text);
    expect(blocks.map((b) => b.t)).toEqual(['paragraph', 'list']);
    const list = blocks[1]!;
    if (list.t !== 'list') throw new Error('not a list');
    expect(list.ordered).toBe(true);
    expect(list.items).toHaveLength(3);
    expect(list.items[1]!.some((s) => s.t === 'strong')).toBe(true);
  });
  it('reads headings, bullets, fenced code (kept verbatim) and paragraphs', () => {
    const blocks = parseMarkdown('# Goal\n\n- one\n- two\n\n```sh\nip link set eth0 up\n**not bold**\n```\nafter');
    expect(blocks).toEqual([
      { t: 'heading', level: 1, children: [{ t: 'text', text: 'Goal' }] },
      { t: 'list', ordered: false, start: 1, items: [[{ t: 'text', text: 'one' }], [{ t: 'text', text: 'two' }]] },
      { t: 'code', lang: 'sh', text: 'ip link set eth0 up\n**not bold**' },
      { t: 'paragraph', children: [{ t: 'text', text: 'after' }] },
    ]);
  });
  it('keeps a numbered list starting elsewhere than 1', () => {
    expect(html('3. three\n4. four')).toBe('<div class="pb-markdown"><ol start="3"><li>three</li><li>four</li></ol></div>');
  });
});

describe('Markdown (rendered)', () => {
  it('renders elements, never HTML from the text', () => {
    const out = html('Hi <script>alert(1)</script> <img src=x onerror=alert(1)> **b**');
    expect(out).not.toContain('<script');
    expect(out).not.toContain('<img');
    expect(out).toContain('&lt;script&gt;');
    expect(out).toContain('<strong>b</strong>');
  });
  it('renders code blocks as text', () => {
    expect(html('```\n<b>x</b>\n```')).toBe('<div class="pb-markdown"><pre><code>&lt;b&gt;x&lt;/b&gt;</code></pre></div>');
  });
  it('opens external links in a new tab without an opener', () => {
    expect(html('[a](https://x.org)')).toContain('<a href="https://x.org" target="_blank" rel="noopener noreferrer">a</a>');
    expect(html('[a](/class)')).toContain('<a href="/class">a</a>');
  });
});
