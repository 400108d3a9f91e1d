// Client of the Bosun API: typed REST calls at Kubernetes paths, list+watch informers, Unix-socket servers.
export {};
