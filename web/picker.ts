// The guest picker: a <select> over the demo guests (web/guests.ts), the default one selected.
// Picking another guest calls onPick; the page then boots it in place of the current domain.
import type { GuestImage } from './guests.ts';

export interface GuestPicker {
  selected(): GuestImage | undefined;
  setEnabled(enabled: boolean): void;
}

export function createPicker(select: HTMLSelectElement, guests: GuestImage[], defaultId: string, onPick: (g: GuestImage) => void): GuestPicker {
  select.replaceChildren(
    ...guests.map((g) => {
      const o = document.createElement('option');
      o.value = g.id;
      o.textContent = g.label;
      o.selected = g.id === defaultId;
      return o;
    }),
  );
  if (guests.length === 0) {
    const o = document.createElement('option');
    o.textContent = 'no guest images: run npm run guests';
    select.append(o);
    select.disabled = true;
  }
  const selected = () => guests.find((g) => g.id === select.value);
  select.addEventListener('change', () => {
    const g = selected();
    if (g) onPick(g);
  });
  return {
    selected,
    setEnabled(enabled) {
      select.disabled = !enabled || guests.length === 0;
    },
  };
}
