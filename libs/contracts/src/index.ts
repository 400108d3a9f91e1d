// Event envelope, the typed event catalogue (zod schemas, versions, upcasters), subject names.
export * from './envelope';
export * from './subjects';
export * from './catalogue';
export * from './events';
