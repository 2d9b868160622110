// A button that opens the browser's file picker for a lab or scenario file (YAML or JSON) and hands
// over its name and text. The input is cleared after each pick, so the same file can be picked again.
import { useRef, type ReactNode } from 'react';

export function FilePickButton(props: {
  children: ReactNode;
  title?: string;
  testid: string;
  inputTestid: string;
  onFile(name: string, text: string): void;
}) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button type="button" onClick={() => input.current?.click()} title={props.title} data-testid={props.testid}>
        {props.children}
      </button>
      <input
        ref={input}
        type="file"
        accept=".yaml,.yml,.json"
        hidden
        data-testid={props.inputTestid}
        onChange={(e) => {
          const f = e.target.files?.[0];
          e.target.value = '';
          if (f) void f.text().then((text) => props.onFile(f.name, text));
        }}
      />
    </>
  );
}
