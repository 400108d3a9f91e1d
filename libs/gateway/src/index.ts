// Gateway API semantics: acceptance, listener/route status, the Gateway's LoadBalancer Service (pure).
export {};
