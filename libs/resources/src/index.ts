// Resource schemas from the CRDs, defaulting, validation with field paths, label selectors, the object projection.
export * from './selector';
export * from './kinds';
export * from './admission-types';
