// Kubernetes-style control API.
export {};
