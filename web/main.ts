// The page: any number of domains, each in its own worker with its own console, controls, charts,
// counters and hypercall table (web/domain-view.ts), laid out as tabs or side by side as tiles.
// "+ New domain" opens another (xl create); closing a tab destroys its domain and ends its worker.
// Files dropped anywhere on the page boot in the domain under the pointer (else the one shown).
// The first domain boots the default guest when the page opens. Nothing here waits on a worker:
// every call to one is asynchronous. window.__xenwasm exposes the state for tests and tinkering.
import './styles.css';
import { setupBench } from './bench.ts';
import { DomainView, type DomainHook } from './domain-view.ts';
import guestFiles from 'virtual:xenwasm-guests';
import { DEFAULT_GUEST, fetchLinuxManifest, listGuests, type GuestEntry, type LinuxManifest } from './guests.ts';
import { dragHasFiles, droppedFiles } from './kernel-files.ts';

type Layout = 'tabs' | 'tiles';

/** What tests (and curious users in the devtools console) can read. */
interface PageHook {
  readonly domains: DomainHook[];
  /** The id of the domain shown (tabs layout) or last used. */
  active?: number;
  layout: Layout;
  guests: Pick<GuestEntry, 'id' | 'label' | 'group' | 'file' | 'cmdline' | 'memory' | 'expect' | 'unavailable'>[];
  linux?: LinuxManifest;
  crossOriginIsolated: boolean;
  /** Opens a domain (as "+ New domain" does) and returns its id. */
  newDomain(): number;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const template = $<HTMLTemplateElement>('domain-template');
const container = $<HTMLElement>('domains');
const tabBar = $<HTMLElement>('domain-tabs');

const views: DomainView[] = [];
const tabs = new Map<DomainView, HTMLElement>();
let active: DomainView | undefined;
let nextId = 1;
let guests: GuestEntry[] = [];

const hook: PageHook = {
  get domains() {
    return views.map((v) => v.hook);
  },
  layout: 'tabs',
  guests: [],
  crossOriginIsolated: self.crossOriginIsolated === true,
  newDomain: () => openDomain().id,
};
(window as unknown as { __xenwasm: PageHook }).__xenwasm = hook;

if (!self.crossOriginIsolated) $('isolation-notice').hidden = false;
setupBench();

function openDomain(): DomainView {
  const view = new DomainView(nextId++, template, guests, DEFAULT_GUEST, { changed: updateTab });
  views.push(view);
  container.append(view.el);
  const tab = document.createElement('div');
  tab.className = 'domain-tab';
  tab.dataset.domain = String(view.id);
  const select = document.createElement('button');
  select.type = 'button';
  select.className = 'domain-tab-select';
  select.setAttribute('role', 'tab');
  select.setAttribute('aria-controls', view.el.id);
  select.id = `${view.el.id}-tab`;
  view.el.setAttribute('aria-labelledby', select.id);
  select.addEventListener('click', () => activate(view));
  select.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const i = views.indexOf(view);
    const next = views[(i + (e.key === 'ArrowRight' ? 1 : views.length - 1)) % views.length];
    activate(next);
    tabs.get(next)!.querySelector<HTMLButtonElement>('.domain-tab-select')!.focus();
  });
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'domain-tab-close';
  close.textContent = '×';
  close.title = 'Close: destroy this domain and end its worker';
  close.setAttribute('aria-label', `Close domain ${view.id}`);
  close.addEventListener('click', () => void closeDomain(view));
  tab.append(select, close);
  tabBar.append(tab);
  tabs.set(view, tab);
  updateTab(view);
  activate(view);
  return view;
}

async function closeDomain(view: DomainView): Promise<void> {
  const i = views.indexOf(view);
  if (i < 0) return;
  views.splice(i, 1);
  tabs.get(view)?.remove();
  tabs.delete(view);
  if (active === view) {
    active = undefined;
    const next = views[Math.min(i, views.length - 1)];
    if (next) activate(next);
    else hook.active = undefined;
  }
  await view.close();
}

function activate(view: DomainView) {
  active = view;
  hook.active = view.id;
  for (const v of views) {
    const on = v === view;
    v.el.classList.toggle('active', on);
    const sel = tabs.get(v)?.querySelector('.domain-tab-select');
    sel?.setAttribute('aria-selected', String(on));
    sel?.setAttribute('tabindex', on ? '0' : '-1');
  }
  view.shown();
}

function updateTab(view: DomainView) {
  const tab = tabs.get(view);
  if (!tab) return;
  const sel = tab.querySelector<HTMLButtonElement>('.domain-tab-select')!;
  sel.textContent = `${view.id} · ${view.title || 'new domain'}`;
  sel.title = `Domain ${view.id}: ${view.hook.stateLabel}`;
  tab.dataset.state = view.hook.state;
}

function setLayout(layout: Layout) {
  hook.layout = layout;
  container.dataset.layout = layout;
  $('btn-layout-tabs').setAttribute('aria-pressed', String(layout === 'tabs'));
  $('btn-layout-tiles').setAttribute('aria-pressed', String(layout === 'tiles'));
  for (const v of views) v.shown();
}

$('btn-new-domain').addEventListener('click', () => openDomain());
$('btn-layout-tabs').addEventListener('click', () => setLayout('tabs'));
$('btn-layout-tiles').addEventListener('click', () => setLayout('tiles'));

// A drop outside every domain's console goes to the domain shown; the browser must never navigate
// to a dropped file instead.
document.addEventListener('dragover', (e) => {
  if (!dragHasFiles(e.dataTransfer)) return;
  e.preventDefault();
  e.dataTransfer!.dropEffect = 'copy';
});
document.addEventListener('drop', (e) => {
  const files = droppedFiles(e.dataTransfer);
  if (files.length === 0) return;
  e.preventDefault();
  const el = (e.target as Element | null)?.closest?.<HTMLElement>('.domain');
  const view = views.find((v) => v.el === el) ?? active ?? openDomain();
  activate(view);
  void view.dropFiles(files);
});

async function start() {
  hook.linux = await fetchLinuxManifest();
  guests = listGuests(guestFiles, hook.linux);
  hook.guests = guests.map(({ id, label, group, file, cmdline, memory, expect, unavailable }) => ({ id, label, group, file, cmdline, memory, expect, unavailable }));
  const first = openDomain();
  if (guests.some((g) => g.id === DEFAULT_GUEST)) void first.boot();
  first.focus();
}

void start();
