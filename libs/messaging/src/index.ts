// NestJS custom transport over NATS JetStream.
export {};
