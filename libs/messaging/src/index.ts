// NestJS custom transport over NATS JetStream.
export * from './connection';
export * from './context';
export * from './server';
export * from './client';
export * from './config';
