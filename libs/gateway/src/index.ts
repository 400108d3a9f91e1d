// Gateway API semantics: GatewayClass acceptance, listener and route status, the Gateway's
// LoadBalancer Service (pure: state in, desired objects and status out).
export * from './types';
export * from './constants';
export * from './conditions';
export * from './hostnames';
export * from './references';
export * from './gateway-class';
export * from './listeners';
export * from './service';
export * from './gateway';
export * from './routes';
export * from './route-status';
export * from './translate';
