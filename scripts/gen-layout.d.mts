export interface LayoutEntry { name: string; value: number; comment: string }
export function parseLayout(text: string): LayoutEntry[];
export function render(entries: LayoutEntry[]): string;
