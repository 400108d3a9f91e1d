// Client of the Bosun API: typed REST calls at Kubernetes paths, list+watch informers, Unix-socket servers.
export * from './config';
export * from './client';
export * from './informer';
