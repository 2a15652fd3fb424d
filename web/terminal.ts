// The guest console: an xterm.js terminal fed with the bytes the guest writes (PV console ring and
// console_io, already merged in order by the worker), and the keys typed into it sent back as UTF-8.
// It also keeps the decoded console text (for the end-to-end test through window.__xenwasm), capped
// so a chatty guest cannot grow the page's memory without bound.
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';

const TEXT_CAP = 1 << 20;

export interface GuestTerminal {
  write(bytes: Uint8Array): void;
  /** Writes a host-side status line (dimmed), not guest output. */
  note(line: string): void;
  clear(): void;
  /** Shows or hides the cursor (hidden once the domain is gone). */
  setCursor(visible: boolean): void;
  /** Everything the guest wrote since the last clear(), decoded as UTF-8 (last 1 MiB). */
  text(): string;
  focus(): void;
  /** Frees the terminal (the domain's view closed). */
  dispose(): void;
}

export function createTerminal(container: HTMLElement, onInput: (bytes: Uint8Array) => void): GuestTerminal {
  const term = new Terminal({
    convertEol: true,
    cursorBlink: true,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", "Cascadia Mono", Menlo, Consolas, monospace',
    fontSize: 14,
    // At line height 1.0 the underscore falls below the cell in common monospace fonts and is clipped.
    lineHeight: 1.2,
    scrollback: 5000,
    theme: { background: '#0b0e14', foreground: '#d7dae0', cursor: '#7fd962', selectionBackground: '#33415e' },
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(container);
  const refit = () => {
    if (container.clientWidth > 0 && container.clientHeight > 0) fit.fit();
  };
  refit();
  const observer = new ResizeObserver(refit);
  observer.observe(container);

  const encoder = new TextEncoder();
  term.onData((data) => onInput(encoder.encode(data)));

  let decoder = new TextDecoder('utf-8');
  let text = '';
  return {
    write(bytes) {
      term.write(bytes);
      text += decoder.decode(bytes, { stream: true });
      if (text.length > TEXT_CAP) text = text.slice(text.length - TEXT_CAP / 2);
    },
    note(line) {
      term.write(`\x1b[2m${line}\x1b[0m\r\n`);
    },
    clear() {
      term.reset();
      decoder = new TextDecoder('utf-8');
      text = '';
    },
    setCursor(visible) {
      term.write(visible ? '\x1b[?25h' : '\x1b[?25l');
    },
    text: () => text,
    focus: () => term.focus(),
    dispose() {
      observer.disconnect();
      term.dispose();
    },
  };
}
