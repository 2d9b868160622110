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
      {
        t: 'strong',
        children: [
          { t: 'text', text: 'now ' },
          { t: 'em', children: [{ t: 'text', text: 'please' }] },
        ],
      },
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
    expect(parseInline('2 * 3 and \\*not em\\* and `open')).toEqual([
      { t: 'text', text: '2 * 3 and *not em* and `open' },
    ]);
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
    expect(html('3. three\n4. four')).toBe(
      '<div class="pb-markdown"><ol start="3"><li>three</li><li>four</li></ol></div>',
    );
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
    expect(html('```\n<b>x</b>\n```')).toBe(
      '<div class="pb-markdown"><pre><code>&lt;b&gt;x&lt;/b&gt;</code></pre></div>',
    );
  });
  it('opens external links in a new tab without an opener', () => {
    expect(html('[a](https://x.org)')).toContain(
      '<a href="https://x.org" target="_blank" rel="noopener noreferrer">a</a>',
    );
    expect(html('[a](/class)')).toContain('<a href="/class">a</a>');
  });
});

describe('tables and quotes', () => {
  it('reads a pipe table: header, alignment, rows, code spans holding pipes, escaped pipes', () => {
    const [t] = parseMarkdown(
      '| # | step | command |\n|--:|:---|:-:|\n| 1 | **create** | `ip a \\| grep x` |\n| 2 | a \\| b |',
    );
    expect(t).toMatchObject({ t: 'table', align: ['right', 'left', 'center'] });
    if (t?.t !== 'table') throw new Error('not a table');
    expect(t.head.map((h) => h[0])).toEqual([
      { t: 'text', text: '#' },
      { t: 'text', text: 'step' },
      { t: 'text', text: 'command' },
    ]);
    expect(t.rows[0]![1]).toEqual([{ t: 'strong', children: [{ t: 'text', text: 'create' }] }]);
    expect(t.rows[0]![2]).toEqual([{ t: 'code', text: 'ip a | grep x' }]); // as GitHub: an escaped pipe is a pipe, in code too
    expect(t.rows[1]).toEqual([[{ t: 'text', text: '2' }], [{ t: 'text', text: 'a | b' }], []]);
  });
  it('needs the delimiter row: a line with a pipe is otherwise a paragraph', () => {
    expect(parseMarkdown('a | b\nc | d')).toEqual([{ t: 'paragraph', children: [{ t: 'text', text: 'a | b c | d' }] }]);
  });
  it('ends a paragraph where a table starts, and reads block quotes with their own blocks', () => {
    expect(parseMarkdown('Steps:\n| a | b |\n|---|---|\n| 1 | 2 |').map((b) => b.t)).toEqual(['paragraph', 'table']);
    expect(parseMarkdown('> **Note** this\n> - one\n> - two')).toEqual([
      {
        t: 'quote',
        children: [
          {
            t: 'paragraph',
            children: [
              { t: 'strong', children: [{ t: 'text', text: 'Note' }] },
              { t: 'text', text: ' this' },
            ],
          },
          { t: 'list', ordered: false, start: 1, items: [[{ t: 'text', text: 'one' }], [{ t: 'text', text: 'two' }]] },
        ],
      },
    ]);
  });
  it('renders a table and a quote as elements', () => {
    expect(html('| a | b |\n|---|--:|\n| <i>x</i> | 2 |')).toBe(
      '<div class="pb-markdown"><table><thead><tr><th>a</th><th style="text-align:right">b</th></tr></thead><tbody><tr><td>&lt;i&gt;x&lt;/i&gt;</td><td style="text-align:right">2</td></tr></tbody></table></div>',
    );
    expect(html('> hi')).toBe('<div class="pb-markdown"><blockquote><p>hi</p></blockquote></div>');
  });
});

describe('the built-in exercises', () => {
  it('have instructions this reader understands (no table or list left as raw text)', async () => {
    // Node-only entry (reads files): fine in a test, never imported by the app.
    const { builtinScenarios } = await import('@patchbay/scenarios/library');
    for (const { id, scenario } of builtinScenarios()) {
      for (const b of parseMarkdown(scenario.instructions)) {
        if (b.t !== 'paragraph') continue;
        const first = b.children[0];
        expect(
          first?.t === 'text' ? first.text : '',
          `${id}: a paragraph that looks like a table or a list`,
        ).not.toMatch(/^(\||- |\* |\d+\. )/);
      }
    }
  });
});
