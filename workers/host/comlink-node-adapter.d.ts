// Types for Comlink's Node adapter, imported by its .mjs path (the package ships the .d.ts beside it
// under the extension-less name, which TypeScript does not match to an .mjs import).
declare module 'comlink/dist/esm/node-adapter.mjs' {
  export { default } from 'comlink/dist/esm/node-adapter';
}
