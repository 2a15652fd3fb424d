// A domain's guest picker: a <select> over the guests of web/guests.ts, grouped (demo, Linux, ABI
// tests, benchmarks, other images), plus "Your kernel" once the user dropped or chose one. An entry
// that cannot boot here (Linux without its cache) shows disabled with how to get it. Picking an entry
// calls onPick; the domain then boots it in place of what runs.
import { GROUP_LABEL, type GuestEntry, type GuestGroup } from './guests.ts';

/** The option value of the user's own kernel. */
export const CUSTOM = 'custom';

export interface GuestPicker {
  /** The picked demo guest, or undefined when the user's own kernel is picked (or nothing). */
  selected(): GuestEntry | undefined;
  /** Whether "Your kernel" is the picked option. */
  customPicked(): boolean;
  /** Adds or renames the "Your kernel" option and picks it (without calling onPick). */
  setCustom(label: string): void;
  /** Removes the "Your kernel" option (its file could not be loaded). */
  clearCustom(): void;
  /** Picks an entry by id (without calling onPick). */
  pick(id: string): void;
  setEnabled(enabled: boolean): void;
}

export function createPicker(select: HTMLSelectElement, guests: GuestEntry[], defaultId: string, onPick: () => void): GuestPicker {
  const groups = new Map<GuestGroup | 'custom', HTMLOptGroupElement>();
  const group = (g: GuestGroup | 'custom') => {
    let el = groups.get(g);
    if (!el) {
      el = document.createElement('optgroup');
      el.label = g === 'custom' ? 'Your kernel' : GROUP_LABEL[g];
      groups.set(g, el);
    }
    return el;
  };
  for (const g of guests) {
    const o = document.createElement('option');
    o.value = g.id;
    o.textContent = g.unavailable ? `${g.label} (not here: ${g.unavailable})` : g.label;
    o.disabled = !!g.unavailable;
    o.title = g.unavailable ? `Not available on this server: ${g.unavailable}` : (g.about ?? g.file);
    o.selected = g.id === defaultId;
    group(g.group).append(o);
  }
  select.replaceChildren(...groups.values());
  const custom = document.createElement('option');
  custom.value = CUSTOM;
  if (guests.length === 0) {
    const o = document.createElement('option');
    o.textContent = 'no guest images: run npm run guests';
    select.append(o);
  }
  const selected = () => guests.find((g) => g.id === select.value && !g.unavailable);
  select.addEventListener('change', () => onPick());
  return {
    selected,
    customPicked: () => select.value === CUSTOM,
    setCustom(label) {
      custom.textContent = label;
      if (!custom.parentElement) select.prepend(group('custom').appendChild(custom).parentElement!);
      select.value = CUSTOM;
    },
    clearCustom() {
      const g = custom.parentElement;
      custom.remove();
      if (g && g.childElementCount === 0) g.remove();
    },
    pick(id) {
      select.value = id;
    },
    setEnabled(enabled) {
      select.disabled = !enabled;
    },
  };
}
