// Exercise instructions as React elements, from markdown.ts's blocks: text is always a text node
// (React escapes it), links only with the hrefs safeHref lets through.
import { createElement, type ReactNode } from 'react';
import { parseMarkdown, type Block, type Inline } from './markdown';

function inlines(spans: Inline[]): ReactNode[] {
  return spans.map((s, k) => {
    switch (s.t) {
      case 'text':
        return s.text;
      case 'code':
        return <code key={k}>{s.text}</code>;
      case 'strong':
        return <strong key={k}>{inlines(s.children)}</strong>;
      case 'em':
        return <em key={k}>{inlines(s.children)}</em>;
      case 'link': {
        const external = /^(https?:|mailto:)/i.test(s.href);
        return (
          <a key={k} href={s.href} {...(external ? { target: '_blank', rel: 'noopener noreferrer' } : {})}>
            {inlines(s.children)}
          </a>
        );
      }
    }
  });
}

function block(b: Block, k: number): ReactNode {
  switch (b.t) {
    case 'heading':
      return createElement(`h${b.level}`, { key: k }, ...inlines(b.children));
    case 'paragraph':
      return <p key={k}>{inlines(b.children)}</p>;
    case 'list': {
      const items = b.items.map((it, j) => <li key={j}>{inlines(it)}</li>);
      return b.ordered ? (
        <ol key={k} {...(b.start !== 1 ? { start: b.start } : {})}>
          {items}
        </ol>
      ) : (
        <ul key={k}>{items}</ul>
      );
    }
    case 'code':
      return (
        <pre key={k} {...(b.lang ? { 'data-lang': b.lang } : {})}>
          <code>{b.text}</code>
        </pre>
      );
    case 'table':
      return (
        <table key={k}>
          <thead>
            <tr>
              {b.head.map((h, c) => (
                <th key={c} style={b.align[c] ? { textAlign: b.align[c] } : undefined}>
                  {inlines(h)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {b.rows.map((row, r) => (
              <tr key={r}>
                {row.map((cell, c) => (
                  <td key={c} style={b.align[c] ? { textAlign: b.align[c] } : undefined}>
                    {inlines(cell)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      );
    case 'quote':
      return <blockquote key={k}>{b.children.map(block)}</blockquote>;
  }
}

export function Markdown({ text, className }: { text: string; className?: string }) {
  return <div className={className ?? 'pb-markdown'}>{parseMarkdown(text).map(block)}</div>;
}
