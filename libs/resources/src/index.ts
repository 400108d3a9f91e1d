// Resource schemas from the CRDs, defaulting, validation with field paths, label selectors, the object projection.
export * from './selector';
export * from './kinds';
export * from './admission-types';
export { admit, convert, toStorage, servedSchema, openApiSchema, invalidMessage, type AdmitOptionsExt } from './admission';
export { serviceIPFamilies, type IPFamily, type IPFamilyPolicy, type ServiceIPFamiliesResult } from './service-ip-families';
export { CONVERSION_ANNOTATION_PREFIX } from './conversion';
export type { Schema, CrdKindSchemas, CelRule } from './schema';
