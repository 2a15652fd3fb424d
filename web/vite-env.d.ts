// Vite's client types for the page: import.meta.glob, ?url imports, CSS imports.
/// <reference types="vite/client" />

declare module 'virtual:xenwasm-guests' {
  /** Kernel file names in guests/images/ (vite.config.ts, xenwasm-guest-images). */
  const files: string[];
  export default files;
}
