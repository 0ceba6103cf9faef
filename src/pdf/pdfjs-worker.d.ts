// pdf.js's worker module ships without types; extract-text.ts hands it to pdf.js whole.
declare module 'pdfjs-dist/legacy/build/pdf.worker.mjs' {
  export const WorkerMessageHandler: unknown;
}
