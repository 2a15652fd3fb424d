// The loader's public surface: find and check a PV kernel (loadKernelImage), then build a domain
// from it into the core's wasm memory (buildDomain). Everything throws LoadError on bad input.

export { LoadError } from './errors.ts';
export { loadKernelImage, loadElfKernel, type KernelImage } from './image.ts';
export {
  buildDomain, planDomain, CONSOLE_PORT, XENSTORE_PORT, MAX_MEMORY_MIB,
  type BuildOptions, type BuildResult, type LayoutSummary,
} from './builder.ts';
export type { PageTableFrame } from './page-tables.ts';
export type { XenParams } from './xen-notes.ts';
